"""QR codes of permanent addresses: rendered in a real browser, decoded, and compared with
each page's canonical URL; vector, with a quiet zone, error correction M or higher."""
from __future__ import annotations

import io

import pytest
import segno

from browser import CHROMIUM_ARGS, chromium_path, serve_folder
from generator.qr import QUIET_ZONE, qr_svg


def test_svg_is_vector_with_quiet_zone_and_error_correction():
    url = "https://gk.example.gov.cn/documents/laiwu-2024-gkyd/"
    svg = qr_svg(url)
    assert svg.startswith("<svg ") and "viewBox" in svg and "width=" not in svg.split(">")[0]
    assert 'role="img"' in svg and "aria-label=" in svg
    code = segno.make(url, error="m", micro=False, boost_error=True)
    size = code.symbol_size(scale=1, border=QUIET_ZONE)[0]
    assert f'viewBox="0 0 {size} {size}"' in svg and QUIET_ZONE >= 4
    assert code.error in ("M", "Q", "H")


@pytest.mark.browser
def test_every_qr_code_decodes_to_its_canonical_url(example_output):
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp is a test dependency: make test installs it")
    from PIL import Image
    from playwright.sync_api import sync_playwright
    pages = sorted(p.relative_to(example_output).as_posix().removesuffix("index.html")
                   for p in example_output.glob("*/*/index.html")
                   if p.parts[-3] in ("documents", "interpretations"))
    server, base = serve_folder(example_output)
    decoded = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 800, "height": 800})
        for url in pages:
            page.goto(base + url)
            if page.locator(".qr svg").count() == 0:
                continue        # redirect and withdrawn pages have none
            canonical = page.locator("link[rel=canonical]").get_attribute("href")
            # the SVG is vector: draw it larger, as a phone camera close to a print would see it
            page.evaluate("document.querySelector('.qr svg').style.cssText = 'width:400px;height:400px'")
            png = page.locator(".qr svg").screenshot()
            image = Image.open(io.BytesIO(png)).convert("L")
            results = zxingcpp.read_barcodes(image)
            decoded[url] = ([r.text for r in results], canonical)
        page.emulate_media(media="print")
        page.goto(base + pages[0])
        assert page.locator(".qr svg").is_visible()
        browser.close()
    server.shutdown()
    assert len(decoded) >= 6
    for url, (texts, canonical) in decoded.items():
        assert texts == [canonical], url


def test_symbols_and_svg_are_segnos_own():
    """best_mask picks the mask segno's full evaluation picks, the symbol drawn with it
    (format information included) is segno's, and so is the SVG, byte for byte: from
    version 1 (short text) to version 7 and above (version information blocks)."""
    import random

    from generator import qr
    rng = random.Random(7)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_/"
    texts = ["A", "12345", "政务公开"]
    texts += ["https://gk.example.gov.cn/" + "".join(rng.choice(alphabet) for _ in range(rng.randint(1, size)))
              for size in (8, 30, 60, 120, 250, 400) for _ in range(50)]
    qr._FORMAT.clear()
    versions, masks = set(), set()
    for text in texts:
        auto = segno.make(text, error="m", micro=False, boost_error=True)
        drawn = segno.make(text, error="m", micro=False, boost_error=True, mask=0)
        assert qr.best_mask(drawn.matrix, drawn.version) == auto.mask, text
        rows, size = qr.symbol(text)
        assert [r.to_bytes(size, "big") for r in rows] == [bytes(r) for r in auto.matrix], text
        assert qr.svg_inline(rows, size) == auto.svg_inline(
            scale=1, border=QUIET_ZONE, dark="#000", light="#fff", omitsize=True, svgclass="qr-code",
            lineclass=None), text
        versions.add(auto.version)
        masks.add(auto.mask)
    assert min(versions) == 1 and max(versions) >= 10 and masks == set(range(8))
    # most symbols took their format information from an earlier one: that path was tested
    assert len(qr._FORMAT) < len(texts) / 2


def test_addresses_are_encoded_as_segno_encodes_them():
    """Addresses (byte mode) are encoded without segno once a symbol of their version and
    error level was drawn: the same symbols, for every version an address can take, with
    the error level raised to Q and H where it fits; other texts are left to segno."""
    import random

    from generator import qr
    rng = random.Random(11)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_/.?=&%#"
    texts = ["https://gk.example.gov.cn/" + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, size)))
             for size in (4, 20, 60, 150, 400, 900, 2200) for _ in range(40)]
    texts += ["a", "x" * 2331, "x" * 2332, "HTTP://GK.EXAMPLE.GOV.CN/A", "0123456789", "政务公开", "https://例子.cn/"]
    qr._FIXED.clear()
    qr._FORMAT.clear()
    versions, errors, fast = set(), set(), 0
    for _ in range(2):                      # the second time, every address takes the fast path
        for text in texts:
            try:
                auto = segno.make(text, error="m", micro=False, boost_error=True)
            except segno.DataOverflowError:
                assert qr._byte_mode(text) is None
                continue
            encoded = qr._byte_mode(text)
            if encoded is not None:
                fast += 1
                assert encoded[:2] == (auto.version, auto.error), text
            rows, size = qr.symbol(text)
            assert [r.to_bytes(size, "big") for r in rows] == [bytes(r) for r in auto.matrix], text
            versions.add(auto.version)
            errors.add(auto.error)
    assert qr._byte_mode("HTTP://GK.EXAMPLE.GOV.CN/A") is None and qr._byte_mode("政务公开") is None
    assert min(versions) == 1 and max(versions) == 40 and errors == {"M", "Q", "H"}
    assert fast >= 2 * (len(texts) - 5) and len(qr._FIXED) >= 30


def test_eight_masks_scored_at_once_as_one_at_a_time(monkeypatch):
    """The penalty scores of the eight masks computed together on words (every symbol up
    to version 9) are mask_score's, rule for rule: random symbols, and symbols with lines
    of overlapping finder-like patterns (1011101 4 and 6 modules apart), which segno's
    search skips after a counted one and the word rules count again line by line."""
    import random

    import numpy as np

    from generator import qr
    calls = []
    real = qr._finder_like
    monkeypatch.setattr(qr, "_finder_like", lambda line, n: calls.append(line) or real(line, n))
    rng = random.Random(5)
    overlapping = ("10111010111010111", "1011101011101", "000010111010111010000")
    for version in range(1, 10):
        n = 17 + 4 * version
        for trial in range(30):
            base = np.array([[rng.random() < (0.3, 0.5, 0.7)[trial % 3] for _ in range(n)] for _ in range(n)],
                            np.uint8)
            for _ in range(trial % 4):      # plant overlapping patterns in rows and columns
                pattern = np.frombuffer(rng.choice(overlapping).encode(), np.uint8) - ord("0")
                at, line = rng.randrange(n - len(pattern) + 1), rng.randrange(n)
                if rng.random() < 0.5:
                    base[line, at:at + len(pattern)] = pattern
                else:
                    base[at:at + len(pattern), line] = pattern
            rows = [int.from_bytes(bytes(row), "big") for row in base]
            joined = qr._join(rows + list(qr._transpose(rows, n)), n)
            expected = [qr.mask_score(joined ^ mask, n) for mask in qr._scoring(n)[0]]
            assert qr._scores(base) == expected, (version, trial)
    assert calls, "no line had overlapping patterns: the exception was not tested"
