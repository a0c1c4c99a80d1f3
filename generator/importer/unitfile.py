"""The units registry for imported task lists: ``content/units/<scope>.yaml``.

Every unit name in a tasks.yaml must be a name or alias in the document's scope, so the
importer adds the names it found. An existing file is extended by appending entries
at the end of its ``units:`` list — its text, comments, order and ids stay exactly as
they were — and the result is read back and compared before it is written. Ids are
``<scope>-<pinyin initials>`` (区政府办公室 → licheng-qzfbgs), made unique with -2, -3.

The scope id is derived from the issuer's jurisdiction (济南市历城区人民政府办公室 →
济南市历城区 → licheng) unless the editor gives ``--scope``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import opencc
from pypinyin import Style, lazy_pinyin

from ..content.units import unit_key   # the generator's own name matching
from ..schema import ID_RE
from ..yamlload import LineDict, LineList, YamlProblem, load_yaml

_T2S = opencc.OpenCC("t2s")
_SUFFIX = re.compile(r"(特别行政区|自治区|自治州|自治县|地区|省|市|州|盟|县|区|旗)$")
# Place names whose reading differs from the one pypinyin picks: it reads 长治 and 长清
# as zhang-; every place name starting with 长 is read chang. Only the first character
# of a place is looked up.
_PLACE_READINGS = {"长": "chang"}


class UnitsFileError(Exception):
    """The units file cannot be extended automatically; the message says what to add."""

    def __init__(self, path: Path, message: str, hint: str = ""):
        super().__init__(message)
        self.path, self.message, self.hint = path, message, hint


_SUFFIX_CHARS = "省市区县旗州盟"
_ORGAN = re.compile(r"^(人民政府|政府|人大|政协|党委|委员会|办公室|纪委|法院|检察院|[^，。、\s]{1,14}(局|委|办|厅|中心|院|处|所|站|部))")


def _place_ends(text: str) -> list[int]:
    """Positions just after a place suffix (市, 区, 县 …) among the first characters."""
    return [i + 1 for i, c in enumerate(text[:24]) if c in _SUFFIX_CHARS]


def jurisdiction(name: str | None) -> str | None:
    """济南市历城区人民政府办公室 → 济南市历城区; 长治市人民政府办公室 → 长治市.

    The longest run of place names that is followed by an organ (人民政府, 办公室, …局)
    wins, so that 济宁市兖州区 is not cut after 兖州.
    """
    t = _T2S.convert(name or "").strip()
    for end in sorted(set(_place_ends(t)), reverse=True):
        if end >= 2 and _ORGAN.match(t[end:]):
            return t[:end]
    return None


def title_place(title: str | None) -> str | None:
    """长治市2021年政务公开工作要点 → 长治市 (a title that starts with its place and year)."""
    m = re.match(r"^(.{2,12}?(?:省|自治区|市|州|盟|县|区|旗))(?=(19|20)\d{2}年)", _T2S.convert(title or ""))
    return m.group(1) if m else None


def scope_id(place: str) -> str | None:
    """An ASCII scope id from a jurisdiction: the pinyin of its last place name."""
    t = _T2S.convert(place)
    ends = [e for e in _place_ends(t) if e < len(t)]
    last = t
    for start in sorted(ends, reverse=True):
        if len(t) - start >= 2:       # 兖州区: not the lone 区 after 兖州
            last = t[start:]
            break
    core = _SUFFIX.sub("", last)
    if len(core) < 2:
        core = last
    syllables = lazy_pinyin(core, errors="ignore")
    if core and core[0] in _PLACE_READINGS and syllables:
        syllables[0] = _PLACE_READINGS[core[0]]
    sid = re.sub(r"[^a-z0-9]", "", "".join(syllables).lower())
    return sid if sid and ID_RE.match(sid) else None


def initials(text: str, limit: int = 24) -> str:
    """Pinyin initials of the Chinese characters (and ASCII letters/digits) of a name."""
    letters = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")).lower()
    return re.sub(r"[^a-z0-9]", "", letters)[:limit]


def unit_id(scope: str, name: str, taken: set[str]) -> str:
    base = f"{scope}-{initials(name) or 'unit'}"[:56]
    candidate, n = base, 2
    while candidate in taken:
        candidate = f"{base}-{n}"
        n += 1
    return candidate


@dataclass
class UnitsPlan:
    """What merging would do: the new file text (or None) and the names added."""

    path: Path
    text: str | None
    added: list[str]
    existing: int


def _yaml_text(value: str) -> str:
    import json
    if re.search(r"[:#\[\]{},&*!|>'\"%@`]", value) or value != value.strip() or not value:
        return json.dumps(value, ensure_ascii=False)
    return value


def plan_units(content: Path, scope: str, scope_name: str | None, names: list[str]) -> UnitsPlan:
    """Work out the units file after adding ``names`` (kept in first-seen order)."""
    path = content / "units" / f"{scope}.yaml"
    wanted: list[str] = []
    seen: set[str] = set()
    for name in names:
        key = unit_key(name)
        if key not in seen:
            seen.add(key)
            wanted.append(name)
    if not path.exists():
        entries, ids = [], set(_all_unit_ids(content))
        for name in wanted:
            uid = unit_id(scope, name, ids)
            ids.add(uid)
            entries.append(f"  - id: {uid}\n    name: {_yaml_text(name)}\n")
        head = f"name: {_yaml_text(scope_name or scope)}\nunits:\n"
        return UnitsPlan(path, head + "".join(entries), wanted, 0)
    try:
        text = path.read_text(encoding="utf-8-sig")
        data = load_yaml(text)
    except (OSError, UnicodeDecodeError) as e:
        raise UnitsFileError(path, f"无法读取单位名册：{e}", "先修好这个文件（UTF-8 编码），再导入。") from None
    except YamlProblem as p:
        raise UnitsFileError(path, f"单位名册第 {p.line} 行有 YAML 错误：{p.message}",
                             "先修好这个文件（gongkai check 会指出问题），再导入。") from None
    if not isinstance(data, LineDict) or not isinstance(data.get("units"), LineList):
        raise UnitsFileError(path, "单位名册没有 units: 列表", "文件应有 name: 和 units: 两项。")
    units = data["units"]
    known = set()
    for entry in units:
        if isinstance(entry, dict):
            for n in [entry.get("name"), *(entry.get("aliases") or [])]:
                if isinstance(n, str):
                    known.add(unit_key(n))
    new = [n for n in wanted if unit_key(n) not in known]
    if not new:
        return UnitsPlan(path, None, [], len(units))
    ids = set(_all_unit_ids(content))
    lines = text.split("\n")
    if "[" in lines[data.line_of("units") - 1].split("units", 1)[1] or not len(units):
        raise UnitsFileError(path, "单位名册的 units: 不是逐行列表，无法自动追加",
                             "请手工加入这些单位：" + "、".join(new))
    first = lines[units.line_of(0) - 1]
    indent = first[: len(first) - len(first.lstrip())]
    entries = []
    for name in new:
        uid = unit_id(scope, name, ids)
        ids.add(uid)
        entries.append(f"{indent}- id: {uid}")
        entries.append(f"{indent}  name: {_yaml_text(name)}")
    at = _end_of_list(lines, data.line_of("units"))
    new_lines = lines[:at] + entries + lines[at:]
    new_text = "\n".join(new_lines)
    if not new_text.endswith("\n"):
        new_text += "\n"
    _verify(path, data, new_text, new)
    return UnitsPlan(path, new_text, new, len(units))


def _end_of_list(lines: list[str], key_line: int) -> int:
    """Index just after the last content line of the block under ``units:``."""
    last = key_line            # 1-based line of "units:" → index of the line after it
    key_indent = len(lines[key_line - 1]) - len(lines[key_line - 1].lstrip())
    for i in range(key_line, len(lines)):
        line = lines[i]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        if indent <= key_indent and not line.lstrip().startswith("-"):
            break
        last = i + 1
    return last


def _verify(path: Path, old: LineDict, new_text: str, added: list[str]) -> None:
    """The extended file must hold the old units unchanged and in order, then the new."""
    try:
        new = load_yaml(new_text)
    except YamlProblem as p:
        raise UnitsFileError(path, f"追加单位后文件无法读取（第 {p.line} 行）",
                             "请手工加入这些单位：" + "、".join(added)) from None
    old_units = [dict(u) if isinstance(u, dict) else u for u in old["units"]]
    new_units = [dict(u) if isinstance(u, dict) else u for u in new.get("units", [])]
    names = [u.get("name") for u in new_units[len(old_units):] if isinstance(u, dict)]
    if new_units[: len(old_units)] != old_units or names != added or \
            {k: v for k, v in new.items() if k != "units"} != {k: v for k, v in old.items() if k != "units"}:
        raise UnitsFileError(path, "无法在不改动已有内容的前提下追加单位",
                             "请手工加入这些单位：" + "、".join(added))


def _all_unit_ids(content: Path) -> list[str]:
    """Ids used in every units file, so that a new id is unique across the site."""
    ids = []
    for f in sorted((content / "units").glob("*.y*ml")) if (content / "units").is_dir() else []:
        try:
            data = load_yaml(f.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, YamlProblem):
            continue
        if isinstance(data, dict) and isinstance(data.get("units"), list):
            ids.extend(u.get("id") for u in data["units"] if isinstance(u, dict) and u.get("id"))
    return ids
