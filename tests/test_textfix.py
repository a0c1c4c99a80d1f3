"""Tests for generator.importer.textfix, with real snippets from seed 003 (长治 2021)."""

import re
from pathlib import Path

import opencc
import pytest

from generator.importer import textfix

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
SEED_003 = SEEDS / "003_0ba6203fda23d747.txt"


@pytest.fixture(scope="module")
def seed_lines() -> list[str]:
    assert SEED_003.exists(), f"seed missing: {SEED_003} (shared/ must sit beside the repo)"
    return SEED_003.read_text(encoding="utf-8").split("\n")


# --- repair_shifted_gbk -----------------------------------------------------------------

def test_repair_item_start_resyncs_at_ascii_trail_byte():
    # 繞 = C0 40: its trail byte shows up as "@" and the decoder is back in step
    fixed = textfix.repair_shifted_gbk(" ?。ㄒ唬﹪\ue30f@轉型發(fā)展")
    assert fixed.text == " \u3000（一）圍繞轉型發(fā)展"
    assert fixed.changes[0].before == "?。ㄒ唬﹪\ue30f@"
    assert not fixed.unsure


def test_repair_recovers_lost_byte_from_pinyin():
    # "髴?zhàn)": the trail byte of 戰 and the "(" vanished into the "?"
    fixed = textfix.repair_shifted_gbk(" ?。ǘ\ue46a┝⒆阒卮髴?zhàn)略推進")
    assert fixed.text == " \u3000（二）立足重大戰(zhàn)略推進"
    lost = [c for c in fixed.changes if c.step == "mojibake-lost" and c.after == "戰"]
    assert lost and lost[0].certain


def test_repair_long_runs(seed_lines):
    # whole garbled runs, not just their first characters; the line 39 run contains a
    # narrowed full-width "Ｕ" and U+E848 (FE 84 under GB18030-2000)
    for n, expected in [
        (39, "（三）做好政策咨詢服務工作。政策制定機關要積極解答"),
        (41, "（四）建立健全政務輿情回應機制。各級各部門"),
        (71, "（三）抓好培訓考核。上級政府信息公開工作主管部門要"),
        (57, "（三）完善依申請公開辦理機制,。"),
    ]:
        text = textfix.repair_shifted_gbk(seed_lines[n - 1]).text
        assert text.lstrip(" \u3000").startswith(expected), (n, text[:40])


def test_repair_unrecoverable_lead_byte_is_marked(seed_lines):
    # "三審三校”內": the lead byte of 校 is lost and there is no pinyin to name it
    fixed = textfix.repair_shifted_gbk("嚴格落實包括含“三審三?!眱?nèi)容的信息")
    assert fixed.text == "嚴格落實包括含“三審三〓”內(nèi)容的信息"
    assert [c.after for c in fixed.unsure] == ["〓”內(nèi)", "〓"]


def test_repair_pua_table_and_candidates():
    assert textfix._encode_gbk("\ue848") == b"\xfe\x84"
    assert textfix._encode_gbk("\ue30f") == b"\xfa\xc0"
    assert "戰" in textfix.lead_byte_candidates(0x91, "zhàn")
    assert textfix.lead_byte_candidates(0x83, "nèi") == ("內",)


def test_repair_leaves_real_question_marks_alone():
    fixed = textfix.repair_shifted_gbk("如何申请?请拨打0839-3262313。\nWhat? ok")
    assert fixed.text == "如何申请?请拨打0839-3262313。\nWhat? ok"
    assert fixed.changes == []


# --- strip_inline_pinyin ------------------------------------------------------------------

def test_strip_inline_pinyin():
    fixed = textfix.strip_inline_pinyin("各縣,、區(qū)人民政府,,長治高新區(qū)、經(jīng)開區(qū)管委會")
    assert fixed.text == "各縣,、區人民政府,,長治高新區、經開區管委會"
    assert [c.before for c in fixed.changes] == ["區(qū)", "區(qū)", "經(jīng)", "區(qū)"]
    assert textfix.strip_inline_pinyin("開（kāi）設").text == "開設"


def test_strip_inline_pinyin_keeps_real_parentheses():
    text = "歷史規(guī)劃(計劃),并與村(居)務公開;附件(pdf)"
    assert textfix.strip_inline_pinyin(text).text == "歷史規劃(計劃),并與村(居)務公開;附件(pdf)"
    nested = "“一書四方案”(建設項目用地呈報說明書、農(nóng)用地轉用方案)"
    assert textfix.strip_inline_pinyin(nested).text == "“一書四方案”(建設項目用地呈報說明書、農用地轉用方案)"


# --- collapse_doubled_punctuation ---------------------------------------------------------

def test_collapse_doubled_punctuation():
    cases = {
        "各縣,、區人民政府,,長治高新區": "各縣、區人民政府，長治高新區",
        "開局之年,。為進一步": "開局之年。為進一步",
        "政府部門權責清單,;重大行政決策": "政府部門權責清單;重大行政決策",
        "一致性100%,,通過信用監管": "一致性100%，通過信用監管",
        "“一號答”,、“一站式”": "“一號答”、“一站式”",
    }
    for before, after in cases.items():
        assert textfix.collapse_doubled_punctuation(before).text == after
    fixed = textfix.collapse_doubled_punctuation("各縣,、區")
    assert [(c.before, c.after) for c in fixed.changes] == [(",、", "、")]


def test_collapse_leaves_ascii_text_alone():
    assert textfix.collapse_doubled_punctuation("a,,b; 1,2").text == "a,b; 1,2"
    assert textfix.collapse_doubled_punctuation("真的吗？！").text == "真的吗？！"


# --- normalise_punctuation ----------------------------------------------------------------

def test_normalise_punctuation():
    cases = {
        "市直各有關單位:": "市直各有關單位：",
        "現印發給你們,請認真貫徹落實。": "現印發給你們，請認真貫徹落實。",
        "公開平臺;二是依托信用中國(山西長治)平臺": "公開平臺；二是依托信用中國（山西長治）平臺",
        "衡量標準。(市司法局、各縣區人民政府)": "衡量標準。（市司法局、各縣區人民政府）",
        "  (此件公開發布)": "  （此件公開發布）",
    }
    for before, after in cases.items():
        assert textfix.normalise_punctuation(before).text == after


def test_normalise_leaves_numbers_urls_and_ascii():
    text = "电话:0839-3262313,增长1.5倍,网址:http://www.changzhi.gov.cn/a,b\nsee (a, b): ok!"
    assert textfix.normalise_punctuation(text).text == (
        "电话：0839-3262313，增长1.5倍，网址：http://www.changzhi.gov.cn/a,b\nsee (a, b): ok!")


# --- to_simplified / clean_text ----------------------------------------------------------

def test_to_simplified():
    fixed = textfix.to_simplified("長治市2021年政務公開工作要點")
    assert fixed.text == "长治市2021年政务公开工作要点"
    assert [(c.before, c.after) for c in fixed.changes][:2] == [("長", "长"), ("務", "务")]


def test_clean_text(seed_lines):
    cleaned = textfix.clean_text("\n".join(seed_lines[:3])).text.split("\n")
    assert cleaned[0] == "各县、区人民政府，长治高新区、经开区管委会，市直各有关单位："
    assert cleaned[2] == "  《长治市2021年政务公开工作要点》已经市人民政府同意，现印发给你们，请认真贯彻落实。"
    line19 = textfix.clean_text(seed_lines[18]).text
    assert line19.startswith(" \u3000（二）立足重大战略推进政务公开。各级各部门要系统梳理本级本部门的历史规划（计划），")
    assert line19.endswith("（市直各有关部门、各县区人民政府）")
    kept = textfix.clean_text(seed_lines[18], keep_traditional=True).text
    assert kept.startswith(" \u3000（二）立足重大戰略推進政務公開。")


_T2S = opencc.OpenCC("t2s")
_PUA = re.compile("[\ue000-\uf8ff]")
_TONES = re.compile(f"[{textfix.TONE_VOWELS}]")
_DOUBLED = re.compile(r"[,，][,，、。；：？！;:?!]|([、。；])\1")


def test_whole_seed_is_clean(seed_lines):
    fixed = textfix.clean_text("\n".join(seed_lines))
    out = fixed.text.split("\n")
    assert len(out) == len(seed_lines)
    for n, (src, line) in enumerate(zip(seed_lines, out), 1):
        assert bool(src.strip()) == bool(line.strip()), n
        assert not _PUA.search(line), (n, line)
        assert not set(line) & set("?？\ufffd"), (n, line)
        assert not _TONES.search(line), (n, line)
        assert _T2S.convert(line) == line, (n, line)
        assert not _DOUBLED.search(line), (n, line)
        assert "," not in line and ";" not in line and ":" not in line, (n, line)


def test_whole_seed_report_accounts_for_every_question_mark(seed_lines):
    text = "\n".join(seed_lines)
    fixed = textfix.clean_text(text)
    runs = [c for c in fixed.changes if c.step == "mojibake"]
    assert sum(c.before.count("?") for c in runs) == text.count("?")
    # the only character that could not be recovered: 校 in 三审三校 (line 59)
    assert [(c.line, c.after) for c in fixed.unsure if c.step == "mojibake-lost"] == [(59, "〓")]
    assert fixed.text.count(textfix.MARKER) == 1
