"""Personal-information scan: nothing personal is published by accident.

Before anything is written, every published source is searched for

* 18-digit 居民身份证号 (region, birth date and ISO 7064 check digit validated),
* mainland mobile numbers (1[3-9]x xxxx xxxx, with or without +86 and separators),
* bank card numbers (16–19 digits, Luhn checksum valid),
* e-mail addresses,
* the site's own sensitive words (``privacy.sensitive_words`` in config.yaml).

Full-width digits and letters count as their ASCII forms. Each finding is an error
``path:line`` showing the match masked (3701**********123X, 138****5678,
a***@example.gov.cn), so that the build log does not spread it further. Values in
``privacy.allow`` (public hotlines, official mailboxes, ``@domain`` for a whole mail
domain) and the site's own ``contact`` are not reported. A document may publish a
finding on purpose by acknowledging it in its front matter::

    privacy_ack:
      - match: 138****5678
        reason: 联系人本人同意公开的办公电话

which covers that document's ``index.md`` and ``tasks.yaml``.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from .problems import Problem, Problems
from .schema import Field, Schema

ACK_SCHEMA = Schema([
    Field("match", required=True, label="确认公开的内容",
          hint="照抄检查结果中打了星号的内容，例如 match: 138****5678。"),
    Field("reason", required=True, label="公开理由",
          hint="写明为什么可以公开，例如 reason: 本人同意公开的办公电话。"),
], what="个人信息确认")

ID_CARD, MOBILE, BANK_CARD, EMAIL, WORD = "身份证号", "手机号码", "银行卡号", "电子邮箱", "敏感词"

# Full-width forms editors type with a Chinese input method: folded to ASCII one
# character for one, so that positions (and line numbers) stay the same.
_FOLD = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)},
                       **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
                       **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},
                       "＠": "@", "．": ".", "－": "-", "＋": "+", "＿": "_"})

_FULLWIDTH = re.compile("[\uff10-\uff19\uff20-\uff3a\uff41-\uff5a]")   # digits, @, letters

# Province-level codes of GB/T 2260 (first two digits of a 身份证号).
_PROVINCES = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44,
              45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83, 91}
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

_EDGE_L = r"(?<![0-9A-Za-z])"
_EDGE_R = r"(?![0-9A-Za-z])"
_ID_RE = re.compile(_EDGE_L + r"([1-9]\d{16}[0-9Xx])" + _EDGE_R)
_MOBILE_RE = re.compile(_EDGE_L + r"(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})" + _EDGE_R)
_CARD_RE = re.compile(_EDGE_L + r"([3-6]\d{15,18}|[3-6]\d{3}(?:[- ]\d{4}){3}(?:[- ]?\d{1,3})?)" + _EDGE_R)
# Starts only where a run of address characters starts: without the look-behind a long
# run of letters or digits would be rescanned from every position (quadratic time).
_EMAIL_RE = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# Cheap pre-filter: a text with no run of 11 digits (separators allowed) and no @ has
# nothing but sensitive words to find.
_CANDIDATE = re.compile(r"\d(?:[- ]?\d){10}|@")


@dataclass(frozen=True)
class Finding:
    """One match: what kind, where, and the masked form that is shown and acknowledged."""

    kind: str
    masked: str
    line: int
    value: str          # normalised (digits only / lower-case e-mail); never printed


def id_card_valid(number: str) -> bool:
    """True for a well-formed 18-digit 身份证号: province, real birth date, check digit."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    if int(number[:2]) not in _PROVINCES:
        return False
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if not 1900 <= born.year <= 2100:
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == number[17].upper()


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) checksum that bank card numbers carry."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def mask(kind: str, value: str) -> str:
    """The form shown in messages and written in ``privacy_ack``."""
    if kind == ID_CARD:
        return value[:4] + "*" * 10 + value[-4:]
    if kind == MOBILE:
        return value[:3] + "****" + value[-4:]
    if kind == BANK_CARD:
        return value[:4] + "*" * (len(value) - 8) + value[-4:]
    if kind == EMAIL:
        local, _, domain = value.partition("@")
        return local[:1] + "***@" + domain
    return value


def _norm_ack(text: str) -> str:
    text = "".join(str(text).translate(_FOLD).split()).lower()
    # 138-1234-5678 and +86 13812345678 written out in full mean the bare number
    return re.sub(r"^\+?86(?=1\d{10}$)", "", text.replace("-", "")) if re.fullmatch(r"[\d+\-x]+", text) else text


class Scanner:
    """Finds personal information in text, minus the allowlist."""

    def __init__(self, allow: Iterable[str] = (), sensitive_words: Iterable[str] = ()):
        self.allow_values: set[str] = set()
        self.allow_domains: set[str] = set()
        for entry in allow:
            text = str(entry).translate(_FOLD).strip().lower()
            if text.startswith("@"):
                self.allow_domains.add(text[1:])
            elif "@" in text:
                self.allow_values.add(text)
            else:
                digits = re.sub(r"\D", "", text)
                if digits:
                    self.allow_values.add(digits)
                    if digits.startswith("86") and len(digits) == 13:
                        self.allow_values.add(digits[2:])
        words = sorted({w.strip() for w in sensitive_words if w and w.strip()}, key=len, reverse=True)
        self.words = re.compile("|".join(map(re.escape, words)), re.I) if words else None

    def _allowed(self, value: str) -> bool:
        if value in self.allow_values:
            return True
        if "@" in value:
            domain = value.partition("@")[2]
            return any(domain == d or domain.endswith("." + d) for d in self.allow_domains)
        return False

    def _may_find(self, text: str) -> bool:
        """Whether ``text`` holds anything :meth:`scan` may report (nearly never): a
        full-width form, a run of eleven digits, an @ or a sensitive word."""
        return (_FULLWIDTH.search(text) is not None or _CANDIDATE.search(text) is not None
                or (self.words is not None and self.words.search(text) is not None))

    def scan(self, text: str, first_line: int = 1) -> list[Finding]:
        """Findings in ``text``, whose first line is ``first_line``; sorted by position."""
        if not self._may_find(text):
            return []
        # str.translate is slow on Chinese text; most texts have no full-width forms at all
        folded = text.translate(_FOLD) if _FULLWIDTH.search(text) else text
        hits: list[tuple[int, str, str]] = []       # (offset, kind, normalised value)
        if _CANDIDATE.search(folded):
            taken: list[tuple[int, int]] = []
            for m in _ID_RE.finditer(folded):
                if id_card_valid(m.group(1)):
                    hits.append((m.start(), ID_CARD, m.group(1).upper()))
                    taken.append(m.span())
            for m in _CARD_RE.finditer(folded):
                digits = re.sub(r"\D", "", m.group(1))
                if 16 <= len(digits) <= 19 and luhn_valid(digits) and not _inside(m.span(), taken):
                    hits.append((m.start(), BANK_CARD, digits))
                    taken.append(m.span())
            for m in _MOBILE_RE.finditer(folded):
                if not _inside(m.span(), taken):
                    hits.append((m.start(), MOBILE, "".join(m.groups())))
            for m in _EMAIL_RE.finditer(folded) if "@" in folded else ():
                hits.append((m.start(), EMAIL, m.group(0).lower()))
        if self.words is not None:
            for m in self.words.finditer(folded):
                hits.append((m.start(), WORD, m.group(0)))
        out = []
        for offset, kind, value in sorted(hits):
            if kind != WORD and self._allowed(value):
                continue
            out.append(Finding(kind, mask(kind, value), first_line + text.count("\n", 0, offset), value))
        return out

    def scan_data(self, data: Any, line: int, skip: tuple[str, ...] = ()) -> list[Finding]:
        """Findings in every string of parsed YAML, with the line of each key or item."""
        strings = list(_strings(data, line, skip))
        # Nearly always nothing to find: one search over all the strings at once says so
        # (each string's search finds a subset of what the joined text's does, and no
        # pattern crosses a newline). A document's front matter was 24 scans.
        if not self._may_find("\n".join([text for text, _ in strings])):
            return []
        return [f for text, at in strings for f in self.scan(text, at)]


def _inside(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(a <= span[0] and span[1] <= b for a, b in taken)


def _strings(data: Any, line: int, skip: tuple[str, ...] = ()) -> Iterator[tuple[str, int]]:
    """(text, line) for every key and value; a block scalar's text starts on the next line."""
    if isinstance(data, dict):
        line_of = getattr(data, "line_of", lambda k: line)
        for key, value in data.items():
            if key in skip:
                continue
            at = line_of(key)
            yield str(key), at
            if isinstance(value, str) and "\n" in value.rstrip("\n"):
                at += 1
            yield from _strings(value, at)
    elif isinstance(data, list):
        line_of = getattr(data, "line_of", lambda i: line)
        for i, item in enumerate(data):
            yield from _strings(item, line_of(i))
    elif data is not None and not isinstance(data, bool):
        yield str(data), line


@dataclass(frozen=True)
class Ack:
    match: str
    reason: str
    line: int


def acknowledgements(front: Any) -> list[Ack]:
    """The ``privacy_ack`` entries of a document's front matter (already schema-checked)."""
    entries = front.get("privacy_ack") if isinstance(front, dict) else None
    if not isinstance(entries, list):
        return []
    line_of = getattr(entries, "line_of", lambda i: None)
    return [Ack(_norm_ack(e.get("match", "")), str(e.get("reason") or ""), line_of(i))
            for i, e in enumerate(entries) if isinstance(e, dict) and e.get("match")]


def _describe(f: Finding) -> str:
    return f"敏感词 “{f.masked}”" if f.kind == WORD else f"可能含有个人信息：{f.kind} {f.masked}"


def report(path: Path, findings: list[Finding], acks: list[Ack] | None, problems: Problems,
           ack_file: str | None = None) -> set[str]:
    """Report unacknowledged findings as errors; return the acknowledgements used."""
    used: set[str] = set()
    ack_keys = {a.match for a in acks or ()}
    for f in findings:
        # the masked form as printed, or (less advisable) the value written out in full
        key = next((k for k in (_norm_ack(f.masked), f.value.lower()) if k in ack_keys), None)
        if key is not None:
            used.add(key)
            continue
        if acks is None:
            hint = ("单位名册和配置不能逐条确认：删去这项内容；公开的服务电话、邮箱请加入 "
                    "config.yaml 的 privacy.allow。")
        elif f.kind == WORD:
            hint = (f"删去或改写这个词；确需公开时，在 {ack_file} 的元数据中加上 privacy_ack: "
                    f"[{{match: {f.masked}, reason: 公开理由}}]。")
        else:
            hint = (f"发布前删去或遮盖这项个人信息；确需公开（例如本人同意公开的办公电话）时，在 {ack_file} "
                    f"的元数据中加上 privacy_ack: [{{match: \"{f.masked}\", reason: 公开理由}}]；"
                    "公开的服务电话、邮箱请加入 config.yaml 的 privacy.allow。")
        problems.error(path, f.line, _describe(f), hint)
    return used


def scan_document(scanner: Scanner, source: Path, front: Any, body: str, body_line: int,
                  tasks_path: Path | None, tasks_text: str | None, problems: Problems) -> None:
    """Scan one published document (front matter, body, tasks.yaml) and report."""
    acks = acknowledgements(front)
    findings = scanner.scan_data(front, 1, skip=("privacy_ack",)) + scanner.scan(body, body_line)
    in_tasks = scanner.scan(tasks_text, 1) if tasks_path is not None and tasks_text is not None else []
    # the file named in the hints, worked out only for a document with findings (a
    # Path.relative_to for each of 10,000 documents was 0.2 s of a build)
    rel = problems.rel(source) if findings or in_tasks else None
    used = report(source, findings, acks, problems, rel)
    if tasks_path is not None and tasks_text is not None:
        used |= report(tasks_path, in_tasks, acks, problems, rel)
    for ack in acks:
        if ack.match not in used:
            problems.warning(source, ack.line, f"privacy_ack 中的 “{ack.match}” 在本文件中没有找到",
                             "内容已改过的话，删去这一项确认。")


def scan_file(scanner: Scanner, path: Path, text: str, problems: Problems) -> None:
    """Scan a source that cannot carry acknowledgements (units files)."""
    report(path, scanner.scan(text, 1), None, problems)


def site_scanner(config: Any) -> Scanner:
    """The scanner for a site: ``config`` (a :class:`~generator.config.Config`, or None
    when it failed to load) gives the allowlist, the site's own contact details and the
    sensitive words."""
    allow: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    if config is not None:
        contact = (config.contact.get("phone"), config.contact.get("email"))
        allow = tuple(config.privacy_allow) + tuple(v for v in contact if v)
        words = tuple(config.sensitive_words)
    return Scanner(allow, words)


def document_findings(scanner: Scanner, source: Path, front: Any, body: str, body_line: int,
                      tasks_path: Path | None, root: Path) -> tuple[Problem, ...]:
    """What :func:`scan_document` reports for one document, kept to be reported by
    :func:`scan_site` if the document is published. The document loader calls this
    while the sources are at hand (in a worker process, for a big site), so that the
    Markdown source and front matter need not be kept with the parsed document."""
    from .content.sources import read_text   # late: it imports this module
    out = Problems(root)
    # the loader has read tasks.yaml already, and reported what was wrong with it
    tasks_text = read_text(tasks_path, Problems(root)) if tasks_path is not None else None
    scan_document(scanner, source, front, body, body_line, tasks_path, tasks_text, out)
    return tuple(out.items)


def scan_site(documents: Iterable[Any], unit_sources: Iterable[Path], config: Any,
              problems: Problems, others: Iterable[Any] = ()) -> None:
    """Report what the scan found in every published source: each document (with its
    tasks: found when it was loaded, see :func:`document_findings`), each units file, and
    other published front-matter sources such as interpretations (``others``: objects
    with a ``source``; a video transcript file beside one is covered by its privacy_ack).
    ``config``: see :func:`site_scanner`."""
    from .content.sources import read_text, split_front_matter   # late: they import this module
    from .yamlload import YamlProblem, load_yaml
    scanner = site_scanner(config)
    scratch = Problems(problems.root)            # reading again must not repeat warnings
    for doc in documents:
        problems.items.extend(doc.privacy)
    for path in sorted(set(unit_sources)):
        text = read_text(path, scratch)
        if text is not None:
            scan_file(scanner, path, text, problems)
    for item in others:
        text = read_text(item.source, scratch)
        parts = split_front_matter(text) if text is not None else None
        if parts is None:
            continue
        try:
            front = load_yaml(parts[0], line_offset=1)
        except YamlProblem:
            continue                         # already reported by its own loader
        media = getattr(item, "video", None) or {}
        companion = item.source.parent / str(media.get("transcript", ""))
        has_companion = bool(media.get("transcript")) and item.source.name == "index.md" and companion.is_file()
        scan_document(scanner, item.source, front, parts[1], parts[2],
                      companion if has_companion else None,
                      read_text(companion, scratch) if has_companion else None, problems)
