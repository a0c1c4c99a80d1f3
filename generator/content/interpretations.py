"""Policy interpretations (政策解读): ``content/interpretations/<id>.md`` or ``<id>/index.md``.

An interpretation names the document(s) it interprets by id, its form (文字解读, 图解,
视频 …), its date and 咨询方式. A 图解 carries an image with a text alternative; a 视频
a link or a local file with a transcript. Use the folder form when the interpretation has
files of its own (images, video, transcript).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import markdown

from ..numbering import Heading
from ..problems import Problems
from ..schema import ID_HINT, ID_RE, Field, Schema
from .documents import render_body
from .sources import read_front_matter, read_text

FORMS = ("文字解读", "图解", "视频", "音频", "动漫", "简明问答", "专家解读", "在线访谈", "媒体专访",
         "新闻发布会")
TEXT_FORMS = ("文字解读",)     # everything else counts towards 多元化解读

IMAGE_SCHEMA = Schema([
    Field("file", required=True, label="图片文件"),
    Field("alt", required=True, label="图片的文字说明",
          hint="用一两句话说明图片的内容（读屏软件会读出），详细内容写在正文里。"),
], what="图片")

MEDIA_SCHEMA = Schema([
    Field("file", label="视频文件"),
    Field("url", label="视频地址"),
    Field("transcript", required=True, label="文字稿",
          hint="写文字稿的文件名（放在解读文件夹里），或直接写文字稿内容。"),
], what="视频")

INTERPRETATION_SCHEMA = Schema([
    Field("title", required=True, label="标题"),
    Field("interprets", kind="list", item="id", required=True, label="解读的文件",
          hint="写被解读文件的标识（content/documents/ 下的文件夹名），例如 interprets: [licheng-2024-gkyd]。"),
    Field("form", required=True, label="解读形式", choices=FORMS),
    Field("published", kind="date", required=True, label="发布日期"),
    Field("contact", required=True, label="咨询方式",
          hint="写咨询电话或咨询渠道，例如 contact: 区政府办公室 0531-00000000。"),
    Field("issuer", label="解读机关"),
    Field("image", kind="map", schema=IMAGE_SCHEMA, label="图解图片"),
    Field("video", kind="map", schema=MEDIA_SCHEMA, label="视频"),
    Field("aliases", kind="list", item="str", label="旧地址", default=list),
    Field("sample", kind="bool", label="示例", default=False),
    Field("draft", kind="bool", label="草稿", default=False),
], what="解读元数据")


@dataclass(frozen=True)
class Interpretation:
    """One interpretation: metadata, body, and the ids of the documents it interprets."""

    id: str
    source: Path
    title: str
    interprets: tuple[str, ...]
    form: str
    published: dt.date
    contact: str
    issuer: str | None
    image: dict | None
    video: dict | None
    transcript_html: str | None
    aliases: tuple[str, ...]
    sample: bool
    draft: bool
    body_html: str
    headings: tuple[Heading, ...]
    lines: dict

    @property
    def url(self) -> str:
        return f"interpretations/{self.id}/"

    @property
    def folder(self) -> Path | None:
        return self.source.parent if self.source.name == "index.md" else None

    @property
    def files(self) -> tuple[str, ...]:
        """Files of this interpretation that are published beside its page."""
        names = []
        if self.image:
            names.append(self.image["file"])
        if self.video and self.video.get("file"):
            names.append(self.video["file"])
        return tuple(names)

    @property
    def is_text(self) -> bool:
        return self.form in TEXT_FORMS


def interpretation_sources(content_dir: Path) -> list[Path]:
    """``<id>.md`` files and ``<id>/index.md`` folders, in a stable order."""
    root = content_dir / "interpretations"
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.is_file() and p.suffix == ".md"]
    found += [p / "index.md" for p in root.iterdir() if p.is_dir()]
    return sorted(found)


def load_interpretation(source: Path, problems: Problems, md: markdown.Markdown) -> Interpretation | None:
    """Load one interpretation; report every problem; None when it cannot be used."""
    folder_form = source.name == "index.md"
    ident = source.parent.name if folder_form else source.stem
    where = source.parent if folder_form else source
    if not ID_RE.match(ident):
        problems.error(where, None, f"解读的标识 “{ident}” 无效", ID_HINT)
        return None
    if folder_form and not source.is_file():
        problems.error(where, None, "解读文件夹里没有 index.md", "把解读正文写在 index.md 中。")
        return None
    read = read_front_matter(source, problems, "title、interprets、form、published、contact")
    if read is None:
        return None
    data, body, body_line = read
    before = len(problems.errors)
    values = INTERPRETATION_SCHEMA.check(data if data is not None else {}, source, problems, 1)
    if values is None:
        return None
    lines = {k: data.line_of(k) for k in data} if hasattr(data, "line_of") else {}
    form = values["form"]
    transcript_html = None
    if form == "图解" and not values["image"]:
        problems.error(source, lines.get("form", 1), "图解需要图片和它的文字说明",
                       "加上 image: {file: 图解.png, alt: 一两句话说明图片内容}，并把图片放进解读文件夹。")
    if form == "视频" and not values["video"]:
        problems.error(source, lines.get("form", 1), "视频解读需要视频和文字稿",
                       "加上 video: {url: 视频地址, transcript: 文字稿.md}（或 file: 本地视频文件）。")
    for key in ("image", "video"):
        media = values[key]
        if not media:
            continue
        if key == "video" and not media.get("file") and not media.get("url"):
            problems.error(source, lines.get(key), "视频需要 file（本地文件）或 url（视频地址）", "二者写一个。")
        for name in [media.get("file")] + ([media.get("transcript")] if key == "video" else []):
            if not name or (key == "video" and name == media.get("transcript") and not _looks_like_file(name)):
                continue
            if not folder_form:
                problems.error(source, lines.get(key), f"文件 “{name}” 需要放在解读自己的文件夹里",
                               f"把 {source.name} 改为 interpretations/{ident}/index.md，文件放在同一文件夹。")
            elif ("/" in name or "\\" in name or name.startswith(".") or (source.parent / name).is_symlink()
                  or not (source.parent / name).is_file()):
                problems.error(source, lines.get(key), f"找不到文件 “{name}”",
                               f"把文件放进 {problems.rel(source.parent)}/，或改正文件名。")
        if key == "video" and media.get("transcript"):
            t = media["transcript"]
            if _looks_like_file(t) and folder_form and (source.parent / t).is_file():
                t = read_text(source.parent / t, problems) or ""
            transcript_html = render_body(md, t)[0] if t else None
    if len(problems.errors) > before:
        return None
    html, headings = render_body(md, body)
    if not body.strip() and form in TEXT_FORMS:
        problems.warning(source, body_line, "解读正文是空的", "在第二个 --- 之后写解读内容。")
    return Interpretation(
        id=ident, source=source, title=values["title"], interprets=tuple(values["interprets"]),
        form=form, published=values["published"], contact=values["contact"],
        issuer=values["issuer"], image=values["image"], video=values["video"],
        transcript_html=transcript_html, aliases=tuple(values["aliases"]), sample=values["sample"],
        draft=values["draft"], body_html=html, headings=headings, lines=lines,
    )


def _looks_like_file(name: str) -> bool:
    return "\n" not in name and name.rsplit(".", 1)[-1].lower() in ("md", "txt") and len(name) < 120
