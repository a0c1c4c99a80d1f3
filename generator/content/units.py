"""The registry of responsible units (责任单位): ``content/units/<scope>.yaml``.

Units are grouped by scope (a jurisdiction) because the same short name, such as
区政府办公室, means a different office in every district. A task's unit name is looked
up by name or alias inside its document's scope.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from ..problems import Problems
from ..schema import ID_HINT, ID_RE, Field, Schema
from .sources import read_yaml

UNIT_SCHEMA = Schema([
    Field("id", kind="id", required=True, label="单位标识"),
    Field("name", required=True, label="单位名称"),
    Field("aliases", kind="list", item="str", label="别名", default=list),
    Field("note", label="说明"),
], what="单位")

SCOPE_SCHEMA = Schema([
    Field("name", required=True, label="范围名称", hint="写这些单位所属的地区或机关，例如“济南市历城区”。"),
    Field("units", kind="list", item=UNIT_SCHEMA, required=True, label="单位列表"),
], what="单位名册")


@dataclass(frozen=True)
class Unit:
    """A responsible unit: permanent id, canonical name, aliases and its scope."""

    id: str
    name: str
    aliases: tuple[str, ...]
    scope: str
    scope_name: str
    note: str | None
    source: Path
    line: int

    @property
    def url(self) -> str:
        return f"units/{self.id}/"

    @property
    def full_name(self) -> str:
        """Name with its jurisdiction, for titles: 区政府办公室（济南市历城区）."""
        return f"{self.name}（{self.scope_name}）"


@dataclass
class UnitRegistry:
    """All units, with lookup by (scope, name-or-alias)."""

    units: dict[str, Unit]                       # by id
    scopes: dict[str, str]                       # scope id -> display name
    _lookup: dict[tuple[str, str], Unit]

    def resolve(self, scope: str, name: str) -> Unit | None:
        return self._lookup.get((scope, unit_key(name)))

    def suggest(self, scope: str, name: str) -> list[str]:
        names = [n for (s, n) in self._lookup if s == scope]
        return difflib.get_close_matches(unit_key(name), names, n=3, cutoff=0.5)


def unit_key(name: str) -> str:
    # Published tables differ only in bracket width and stray spaces; both mean the same unit.
    return "".join(name.split()).replace("(", "（").replace(")", "）")


def load_units(content_dir: Path, problems: Problems) -> UnitRegistry:
    """Load every ``content/units/*.yaml``; report duplicates and bad ids."""
    units: dict[str, Unit] = {}
    scopes: dict[str, str] = {}
    lookup: dict[tuple[str, str], Unit] = {}
    folder = content_dir / "units"
    files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")) if folder.is_dir() else []
    for path in files:
        scope = path.stem
        if not ID_RE.match(scope):
            problems.error(path, None, f"单位名册文件名 “{path.name}” 不是有效的标识", ID_HINT)
            continue
        data = read_yaml(path, problems)
        if data is None:
            if path.stat().st_size == 0:
                problems.error(path, None, "单位名册是空文件", "写上 name: 和 units: 两项，或删除这个文件。")
            continue
        values = SCOPE_SCHEMA.check(data, path, problems, 1)
        if not values or values["units"] is None:
            continue
        scopes[scope] = values["name"] or scope
        for entry in values["units"]:
            if not entry.get("id") or not entry.get("name"):
                continue
            unit = Unit(entry["id"], entry["name"], tuple(entry["aliases"] or ()), scope,
                        scopes[scope], entry.get("note"), path, entry["_line"])
            if unit.id in units:
                other = units[unit.id]
                problems.error(path, unit.line, f"单位标识 “{unit.id}” 重复",
                               f"已在 {problems.rel(other.source)}:{other.line} 用过；每个单位的标识必须不同。")
                continue
            units[unit.id] = unit
            for name in (unit.name, *unit.aliases):
                key = (scope, unit_key(name))
                if key in lookup and lookup[key].id != unit.id:
                    problems.error(path, unit.line,
                                   f"名称或别名 “{name}” 同时属于 {lookup[key].id} 和 {unit.id}",
                                   "同一范围内一个名称只能指向一个单位；删掉其中一个别名。")
                    continue
                lookup[key] = unit
    return UnitRegistry(units, scopes, lookup)
