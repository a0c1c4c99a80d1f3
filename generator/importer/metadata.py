"""Disclosure metadata (索引号, 主题分类, 文号, 发布机构, 成文日期 …): labels and values.

Portals print the metadata block in three ways, all handled here:

* labelled lines or cells: ``索 引 号：…``, ``发布时间: 2023-05-25 来源: 市政府办公室`` —
  :func:`label_pairs` splits a line at every label, :func:`label_field` reads a cell;
* an unlabelled block, when a copy kept the values but lost the labels (莱芜: the
  索引号, 主题分类, 文号, 发布机构, dates and 有效性 one per line) — :func:`unlabelled_block`
  recognises the values by their shape;
* ``<meta name="ArticleTitle">`` and friends in HTML (read by the recogniser).

Values are normalised only in form (dates to YYYY-MM-DD, 现行有效 → 有效) and every such
change is recorded; nothing is guessed. The shape tests (:func:`is_org`,
:func:`is_title_like`, :func:`parse_date_text` …) are shared with the recogniser.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from .model import Candidate, Findings, MetaValue
from .report import Report

# field → labels. Fields starting with "_" have no place in the front matter.
FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "index_no": ("索引号", "索取号"),
    "topic": ("主题分类", "主题类别", "信息分类", "分类", "主题"),
    "doc_no": ("发文字号", "发文文号", "文号", "文件编号"),
    "issuer": ("发布机构", "发文机关", "发文单位", "发布单位", "发文机构", "制发机关", "成文机关", "发布机关"),
    "written": ("成文日期", "成文时间", "发文日期", "发文时间", "印发日期", "生成日期"),
    "published": ("发布日期", "发布时间", "公开日期", "公开时间", "发布时期"),
    "validity": ("有效性", "时效性", "效力状态", "时效", "效力"),
    "title": ("文件标题", "文件名称", "标题", "名称"),
    "keywords": ("主题词", "关键词", "关键字"),
    "disclosure": ("公开属性", "公开方式", "公开类型"),
    "doc_type": ("信息类型", "文件类型", "体裁分类", "文种", "信息类别"),
    "_source": ("信息来源", "文章来源", "来源", "稿源"),
    "_other": ("生效日期", "施行日期", "废止日期", "失效日期", "公开范围", "公开时限", "统一编号",
               "登记号", "作者", "责任编辑", "编辑", "审核", "发布人", "所属机构", "组配分类"),
    "_views": ("浏览量", "浏览次数", "访问量", "访问次数", "点击数", "点击量", "阅读量", "阅读数", "阅读次数"),
    "_chrome": ("字号", "字体", "分享到"),
}
FIELD_NAMES = {
    "index_no": "索引号 index_no", "topic": "主题分类 topic", "doc_no": "文号 doc_no",
    "issuer": "发布机构 issuer", "written": "成文日期 written", "published": "发布日期 published",
    "validity": "有效性 validity", "title": "标题 title", "keywords": "主题词 keywords",
    "disclosure": "公开属性 disclosure", "doc_type": "文件类型 doc_type",
}
_LABEL_OF: dict[str, str] = {label: f for f, labels in FIELD_LABELS.items() for label in labels}
# Labels may be spaced out to line up in a table: 索 引 号 / 文　　号.
_LABEL_RE = re.compile(
    r"(?:^|(?<=[\s【\[|｜(（]))("
    + "|".join(r"[ \u3000]*".join(map(re.escape, label))
               for label in sorted(_LABEL_OF, key=len, reverse=True))
    + r")[ \u3000]*[:：]")

VALIDITIES = ("有效", "全文有效", "部分失效", "部分废止", "全文失效", "全文废止", "尚未生效", "已修改", "失效", "废止")
VALIDITY_SYNONYMS = {"现行有效": "有效", "是": "有效", "已废止": "废止", "已失效": "失效", "现行": "有效"}
DISCLOSURES = ("主动公开", "依申请公开", "不予公开")

DOC_KIND = ("通知", "意见", "方案", "办法", "规定", "决定", "通报", "报告", "要点", "安排", "分工", "函",
            "批复", "公告", "通告", "规划", "计划", "细则", "纲要", "清单", "目录", "指引", "指南", "条例",
            "制度", "规则", "标准", "措施", "任务", "纪要", "公报", "决议", "答复", "复函", "预案", "请示",
            "通讯", "议案", "命令", "令")
ORG_END = re.compile(r"(办公室|人民政府|政府|局|委员会|委|厅|部|中心|办|院|会|公司|组|处|所|站|队|管委会|"
                     r"办事处|分局|集团|法院|检察院|人大常委会|政协)$")
_PUNCT = re.compile(r"[，。；：,;:！？!?]")
DOC_NO_RE = re.compile(r"^[\u4e00-\u9fffA-Za-z]{1,16}[〔\[［【(（]\s*\d{4}\s*[〕\]］】)）]\s*\d{1,4}\s*号$")
INDEX_NO_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z\-]{3,}/[0-9A-Za-z][0-9A-Za-z\-]{2,}$")
_CN_NUM = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_DATE_FORMS = [
    re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$"),
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日(?:\s*\d{1,2}[:时]\d{2}(?:[:分]\d{2}秒?)?)?$"),
]
_CN_DATE = re.compile(r"^([〇零○Ｏ一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日$")
TOPIC_WORDS = ("综合政务", "政务公开", "国民经济管理", "国有资产监管", "财政", "金融", "审计", "国土资源", "能源",
               "农业", "林业", "水利", "工业", "交通", "商贸", "海关", "旅游", "市场监管", "安全生产监管",
               "城乡建设", "环境保护", "科技", "教育", "文化", "广电", "新闻出版", "卫生", "体育", "人口",
               "计划生育", "妇女儿童", "劳动", "人事", "监察", "公安", "安全", "司法", "民政", "扶贫", "救灾",
               "民族", "宗教", "对外事务", "港澳台侨", "国防", "其他", "政府信息公开", "自然资源", "生态环境",
               "应急管理", "社会保障", "就业", "住房", "营商环境")


@dataclass
class Pair:
    """A labelled value: the field (or "_…" for one without a field), label and value.

    ``value`` is the text as it stood after the label (brackets of a toolbar such as
    【字号：大 中 小】 included); :attr:`clean` is the value without them.
    """

    field: str
    label: str
    value: str

    @property
    def clean(self) -> str:
        return self.value.strip("【】[]|｜ \u3000")


def label_field(text: str) -> str | None:
    """The field of a table cell that is only a label (``索引号：``, ``发 布 机 构``)."""
    t = re.sub(r"[\s:：]", "", text)
    return _LABEL_OF.get(t)


def label_pairs(text: str, original: str | None = None) -> tuple[str, list[Pair]]:
    """Split a line at its labels: (text before the first label, pairs).

    ``text`` is matched (the simplified form of a line, so that 發布時間 is found too);
    labels and values are cut from ``original`` when it is given and as long.
    """
    src = original if original is not None and len(original) == len(text) else text
    matches = list(_LABEL_RE.finditer(text))
    if not matches:
        return src, []
    pairs = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        label = re.sub(r"[ \u3000]", "", m.group(1))
        pairs.append(Pair(_LABEL_OF[label], src[m.start():m.end()], src[m.end():end].strip()))
    return src[: matches[0].start()], pairs


# --- value shapes and normalisation ---------------------------------------------------

def parse_date_text(text: str) -> str | None:
    """YYYY-MM-DD for a date written as 2024-06-26, 2024年6月26日, 二〇二四年六月二十六日 …"""
    t = text.strip()
    for form in _DATE_FORMS:
        m = form.match(t)
        if m:
            return _iso(*(int(g) for g in m.groups()))
    m = _CN_DATE.match(t)
    if m:
        year = int("".join(str(_CN_NUM[c]) for c in m.group(1)))
        return _iso(year, _cn_small(m.group(2)), _cn_small(m.group(3)))
    return None


def _cn_small(text: str) -> int:
    if text == "十":
        return 10
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_CN_NUM.get(tens, 1) if tens else 1) * 10 + (_CN_NUM.get(ones, 0) if ones else 0)
    return _CN_NUM.get(text, 0)


def _iso(y: int, m: int, d: int) -> str | None:
    try:
        return dt.date(y, m, d).isoformat()
    except ValueError:
        return None


def normalise_validity(text: str) -> str | None:
    t = text.strip()
    if t in VALIDITIES:
        return t
    return VALIDITY_SYNONYMS.get(t)


def normalise_disclosure(text: str) -> str | None:
    return next((d for d in DISCLOSURES if d in text), None)


def is_date_line(text: str) -> bool:
    return parse_date_text(text) is not None


def is_doc_no(text: str) -> bool:
    return bool(DOC_NO_RE.match(text.strip()))


def is_index_no(text: str) -> bool:
    return bool(INDEX_NO_RE.match(text.strip()))


def is_org(text: str) -> bool:
    """A line that is only the name of an office (落款, 发文机关 before 关于…)."""
    t = text.strip()
    return 2 < len(t) <= 40 and not _PUNCT.search(t) and bool(ORG_END.search(t)) \
        and not t.startswith("关于")


def is_title_like(text: str, max_len: int = 80) -> bool:
    """A heading such as 2024年莱芜区政务公开工作要点 or …关于印发…的通知."""
    t = text.strip()
    return 4 <= len(t) <= max_len and not re.search(r"[。；！？]", t) and t.endswith(DOC_KIND)


def is_topic(text: str) -> bool:
    """An unlabelled 主题分类 value such as 综合政务、政务公开 or 综合政务\\其他."""
    t = text.strip()
    if not t or len(t) > 30 or _PUNCT.search(t):
        return False
    parts = [p for p in re.split(r"[、\\/>＞|·\s]+", t) if p]
    return bool(parts) and all(len(p) <= 12 for p in parts) and any(
        any(w in p for w in TOPIC_WORDS) for p in parts)


@dataclass
class BlockValue:
    index: int          # position in the list of lines given
    field: str
    value: str


def unlabelled_block(lines: list[str]) -> list[BlockValue]:
    """Recognise a metadata block without labels among consecutive lines.

    Needs at least three values of a definite shape (索引号, 文号, a date, 有效性) in a
    run of short lines; then 主题分类 and 发布机构 are taken from the remaining lines of
    the run by their shape. Two dates are 成文日期 then 发布日期, the order of the
    block on the portals that print it this way (the recogniser reports this).
    """
    best: list[BlockValue] = []
    i = 0
    while i < len(lines):
        run: list[BlockValue] = []
        strong = 0
        j = i
        dates = 0
        while j < len(lines):
            t = lines[j].strip()
            if not t or len(t) > 80:
                break
            value = None
            if is_index_no(t):
                value, strong = BlockValue(j, "index_no", t), strong + 1
            elif is_doc_no(t):
                value, strong = BlockValue(j, "doc_no", t), strong + 1
            elif is_date_line(t) and dates < 2:
                value = BlockValue(j, "written" if dates == 0 else "published", t)
                strong, dates = strong + 1, dates + 1
            elif normalise_validity(t):
                value, strong = BlockValue(j, "validity", t), strong + 1
            elif is_topic(t) and not any(v.field == "topic" for v in run):
                value = BlockValue(j, "topic", t)
            elif is_org(t) and not any(v.field == "issuer" for v in run):
                value = BlockValue(j, "issuer", t)
            elif is_title_like(t, 120) and not run:
                value = BlockValue(j, "title", t)
            if value is None:
                break
            run.append(value)
            j += 1
        if strong >= 3 and len(run) > len(best):
            best = run
        i = max(j, i + 1)
    return best


# --- recording values found on the page ------------------------------------------------

def record_pairs(found: Findings, pairs: list[tuple[Pair, str, int]], report: Report) -> None:
    """Labelled values: labels are dropped (reported), values recorded or reported."""
    for pair, label, line in pairs:
        fld, value = pair.field, pair.clean
        if value != pair.value.strip():
            report.drop(pair.value.replace(value, "", 1), "decoration", "值两侧的括号", line)
        toolbar = fld in ("_views", "_chrome")
        report.drop(label, "chrome" if toolbar else "label", "页面工具栏" if toolbar else "元数据的标签", line)
        if toolbar:
            report.drop(value, "chrome", "浏览次数" if fld == "_views" else "页面工具栏", line)
            found.portal = True
            continue
        if fld.startswith("_") or not value:
            if value:
                name = label.strip().rstrip(":：").strip()
                report.drop(value, "metadata", f"“{name}”没有对应的字段", line)
                report.find(name, value, line, "没有对应字段，未写入")
            continue
        set_meta(found, fld, value, line, "元数据标签", report)


def set_meta(found: Findings, fld: str, value: str, line: int | None, how: str, report: Report) -> None:
    """Record one value, normalised in form only; what cannot be used is reported."""
    stored: Any = value
    if fld in ("written", "published"):
        iso = parse_date_text(value)
        if iso is None:
            report.doubt(f"{FIELD_NAMES[fld]}“{value}”不是可识别的日期，未写入。", line)
            report.drop(value, "metadata", "无法识别的日期", line)
            return
        report.change("date", line, value, iso)
        stored = iso
    elif fld == "validity":
        norm = normalise_validity(value)
        if norm is None:
            report.doubt(f"有效性“{value}”不是允许的值，未写入。", line)
            report.drop(value, "metadata", "有效性不是允许的值", line)
            return
        if norm != value:
            report.change("validity", line, value, norm)
            report.doubt(f"有效性“{value}”写成了“{norm}”。", line)
        stored = norm
    elif fld == "disclosure":
        norm = normalise_disclosure(value)
        if norm is None:
            report.doubt(f"公开属性“{value}”不是 主动公开/依申请公开/不予公开，未写入。", line)
            report.drop(value, "metadata", "公开属性不是允许的值", line)
            return
        report.change("disclosure", line, value, norm)
        stored = norm
    elif fld == "keywords":
        stored = [k for k in re.split(r"[\s,，;；、]+", value) if k]
        report.change("keywords", line, value, "".join(stored))
    elif fld == "issuer":
        found.issuers.append(Candidate(value, line, how, standalone=True))
        return
    elif fld == "title":
        found.titles.append(Candidate(value, line, how))
        report.drop(value, "duplicate", "标题（写入元数据 title）", line)
        return
    old = found.meta.get(fld)
    if old is not None and old.line is not None:
        if old.value != stored:
            report.doubt(f"{FIELD_NAMES[fld]}有两个不同的值：“{old.value}”和“{stored}”，采用前者。", line)
        report.drop(stored if isinstance(stored, str) else "".join(stored), "duplicate",
                    f"{FIELD_NAMES[fld]}（重复）", line)
        return
    found.meta[fld] = MetaValue(stored, line, how)   # a labelled date wins over <meta PubDate>
