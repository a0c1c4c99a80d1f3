"""The output writer's own formats: the manifest every build leaves in output/."""
from __future__ import annotations

import json
import random

from generator.build import build_site
from generator.buildcache import MANIFEST
from generator.writer import _manifest_bytes


def _reference(manifest: dict[str, str]) -> bytes:
    # what the manifest was defined as, and what a reader may rely on
    return (json.dumps(manifest, indent=0, sort_keys=True) + "\n").encode("utf-8")


def test_manifest_bytes_are_json_dumps_with_indent_zero():
    rng = random.Random(7)
    alphabet = 'ab/._-0 政务公开"\\\n\t\u2028\udc80é'
    cases = [{}, {"index.html": "0" * 64}]
    for _ in range(200):
        cases.append({"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))):
                      "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
                      for _ in range(rng.randint(1, 6))})
    for manifest in cases:
        assert _manifest_bytes(manifest) == _reference(manifest), manifest


def test_a_built_sites_manifest_lists_every_file_with_its_sha256(make_site, tmp_path):
    import hashlib
    site = make_site()
    site.document("d1", tasks="tasks:\n  - requirement: 甲\n    units: [区财政局]\n")
    out = tmp_path / "out"
    build_site(site.root, out)
    raw = (out / MANIFEST).read_bytes()
    manifest = json.loads(raw)
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {MANIFEST}
    assert set(manifest) == files and "documents/d1/index.html" in files
    for rel, digest in manifest.items():
        assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == digest
    assert raw == _reference(manifest)
