"""The output writer's own formats: the manifest every build leaves in output/."""
from __future__ import annotations

import json
import random

from generator.build import build_site
from generator.buildcache import MANIFEST
from generator.writer import ManifestText, _manifest_bytes


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


def test_manifest_text_kept_in_blocks_matches_the_whole_manifest(monkeypatch):
    # build --watch keeps the manifest's text in blocks and quotes again only the blocks
    # whose entries changed; entries added and removed move every later block
    monkeypatch.setattr(ManifestText, "BLOCK", 7)
    rng = random.Random(11)
    manifest = {f"documents/d{rng.randrange(10 ** 5)}/索引.html": f"{rng.getrandbits(64):x}" for _ in range(300)}
    text = ManifestText(manifest)
    assert text.entries is manifest and text.data() == _reference(manifest)
    for step in range(600):
        roll = rng.random()
        if roll < 0.35 and manifest:
            text.remove(rng.choice(sorted(manifest)))
        elif roll < 0.7:
            text.set(f"search/index/t/{rng.randrange(10 ** 4):04x}.json", f"n{step}")
        else:
            text.set(rng.choice(sorted(manifest)), f"c{step}")
        if step % 13 == 0:
            assert text.data() == _reference(manifest), step
    assert text.data() == _reference(manifest)
    for rel in sorted(manifest):
        text.remove(rel)
    assert manifest == {} and text.data() == b"{}\n"


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
