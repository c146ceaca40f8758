"""Print a laid-out document as a Word file (.docx): the weekly Lobbymemo.

Only Word's built-in styles are used (Title, Subtitle, Heading 1-3, List Bullet, List Bullet 2,
Quote, Intense Quote, Table Grid, Hyperlink), so a team restyles the memo by giving a template
(`template=`): its styles, page set-up, headers and footers are kept and its body is replaced.
A style the template lacks (Word only writes the styles a document used) falls back to Normal,
with a bullet character where a list was meant. Links are real hyperlinks, only http(s)
(`layout.safe_url` decided that already).
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import wording
from ..timeutil import AMS
from .layout import Block, Document, Group, Line, safe_url

if TYPE_CHECKING:
    from docx.document import Document as WordDocument
    from docx.text.paragraph import Paragraph

__all__ = ["TemplateError", "to_docx"]

_DOCUMENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_TEMPLATE_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
_LINK_COLOUR = "0563C1"  # Word's own hyperlink blue, for templates without the Hyperlink style


class TemplateError(ValueError):
    """The Word template cannot be used (missing, not a Word file)."""


def to_docx(document: Document, template: Path | None = None, created: datetime | None = None) -> bytes:
    """The document as .docx bytes, in `template`'s styles when given."""
    word = _open(template)
    writer = _Writer(word)
    writer.write(document)
    word.core_properties.title = document.title
    word.core_properties.author = "monitor"
    if created is not None:  # the briefing's moment, not the clock: the same briefing gives the same file
        stamp = created.astimezone(AMS).replace(tzinfo=None, microsecond=0)
        word.core_properties.created = word.core_properties.modified = stamp
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def _open(template: Path | None) -> WordDocument:
    """A new document: python-docx's default, or the template with its body emptied."""
    from docx import Document as new_document
    from docx.oxml.ns import qn

    if template is None:
        return new_document()
    try:
        data = Path(template).read_bytes()
    except OSError as exc:
        raise TemplateError(f"cannot read the Word template {template}: {exc.strerror or exc}") from None
    try:
        word = new_document(io.BytesIO(_as_document(data)))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise TemplateError(f"{template} is not a Word document (.docx or .dotx): {exc}") from None
    body = word.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):  # keep the page set-up, headers and footers
            body.remove(child)
    return word


def _as_document(data: bytes) -> bytes:
    """A .dotx made readable as a .docx: the same package with the main part's type changed."""
    try:
        source = zipfile.ZipFile(io.BytesIO(data))
        types = source.read("[Content_Types].xml")
    except (zipfile.BadZipFile, KeyError):
        raise zipfile.BadZipFile("not a zip package") from None
    if _TEMPLATE_TYPE.encode() not in types:
        return data
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "[Content_Types].xml":
                body = body.replace(_TEMPLATE_TYPE.encode(), _DOCUMENT_TYPE.encode())
            target.writestr(info, body)
    return out.getvalue()


class _Writer:
    """Writes the tree into one Word document, looking each style up once."""

    def __init__(self, word: WordDocument) -> None:
        self.word = word
        self._styles: dict[str, bool] = {}

    def has_style(self, name: str) -> bool:
        if name not in self._styles:
            try:
                self.word.styles[name]
                self._styles[name] = True
            except KeyError:
                self._styles[name] = False
        return self._styles[name]

    def paragraph(self, text: str = "", style: str | None = None, container: Any = None) -> Paragraph:
        """A paragraph in `style`, or in Normal with a bullet when the template lacks a list style."""
        where = container if container is not None else self.word
        if style is None or self.has_style(style):
            return where.add_paragraph(text, style=style)
        if style.startswith("List Bullet"):
            text = ("    " if style.endswith("2") else "") + "• " + text
        return where.add_paragraph(text)

    # ------------------------------------------------------------------ the tree

    def write(self, document: Document) -> None:
        self.paragraph(document.title, "Title")
        for line in document.subtitle:
            self.paragraph(line, "Subtitle")
        for line in document.banner:
            self.paragraph("", "Intense Quote").add_run(line).bold = True
        for section in document.sections:
            level = 1 if section.level == 2 else 2
            self.paragraph(section.heading, f"Heading {level}")
            for group in section.groups:
                self.group(group, level + 1)
        for line in document.footer:
            self.paragraph(line)

    def group(self, group: Group, level: int) -> None:
        if group.heading:
            self.paragraph(group.heading, f"Heading {level}")
        if not group.blocks:
            if group.empty:
                self.paragraph(group.empty)
            return
        if group.table:
            self.table(group)
            return
        for block in group.blocks:
            self.block(block, min(level + 1 if group.heading else level, 4))  # one level under the nearest heading

    def block(self, block: Block, level: int) -> None:
        if not block.title:  # a list without a head (Bronnen)
            for line in block.lines:
                self.line(line)
            return
        self.title(self.paragraph("", f"Heading {level}"), block)
        for line in block.lines:
            self.line(line)

    def title(self, paragraph: Paragraph, block: Block, bold: bool = False) -> None:
        """A block's title (a hyperlink when it has a link) with its badges in capitals."""
        if block.link:
            self.hyperlink(paragraph, block.link, block.title, bold)
        else:
            paragraph.add_run(block.title).bold = bold or None
        for badge in block.badges:
            paragraph.add_run(f" [{badge.upper()}]").bold = True

    def line(self, line: Line, container: Any = None) -> None:
        if line.style == "snippet":
            # The hits the rule engine marked «…» become bold, as in the HTML report.
            paragraph = self.paragraph("“", "Quote", container)
            for index, part in enumerate(re.split(r"«([^«»]*)»", line.text)):
                if part:
                    paragraph.add_run(part).bold = bool(index % 2) or None
            paragraph.add_run("”")
            return
        style = "List Bullet 2" if line.style == "person" else "List Bullet"
        paragraph = self.paragraph("", style, container)
        link = safe_url(line.link)
        if link:  # a line about a document (an answer to Kamervragen) opens it
            self.hyperlink(paragraph, link, line.text, bold=line.style in ("deadline", "vote", "warn", "change"))
            return
        run = paragraph.add_run(line.text)
        if line.style in ("deadline", "vote", "warn"):
            run.bold = True
        elif line.style in ("change", "note"):
            run.bold = True
            run.italic = True
        elif line.style in ("why", "meta", "muted"):
            run.italic = True

    def table(self, group: Group) -> None:
        """Agenda rows: a 'Wanneer' column and the meeting with its lines."""
        table = self.word.add_table(rows=1, cols=2)
        if self.has_style("Table Grid"):
            table.style = "Table Grid"
        header = table.rows[0].cells
        for cell, text in zip(header, (wording.COLUMN_LABELS["wanneer"], wording.COLUMN_LABELS["vergadering"])):
            cell.paragraphs[0].add_run(text).bold = True
        for block in group.blocks:
            when, what = table.add_row().cells
            when.paragraphs[0].add_run(block.when or "")
            self.title(what.paragraphs[0], block, bold=True)
            for line in block.lines:
                self.line(line, what)
        self.paragraph()  # Word glues a following table to this one otherwise

    def hyperlink(self, paragraph: Paragraph, url: str, text: str, bold: bool = False) -> None:
        """A real hyperlink run (python-docx has no API for writing one)."""
        from docx.opc.constants import RELATIONSHIP_TYPE
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        rel = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
        link = OxmlElement("w:hyperlink")
        link.set(qn("r:id"), rel)
        run = OxmlElement("w:r")
        props = OxmlElement("w:rPr")  # children in the schema's order: rStyle, b, color, u
        if self.has_style("Hyperlink"):
            style = OxmlElement("w:rStyle")
            style.set(qn("w:val"), self.word.styles["Hyperlink"].style_id)
            props.append(style)
        if bold:
            props.append(OxmlElement("w:b"))
        if not self.has_style("Hyperlink"):
            colour = OxmlElement("w:color")
            colour.set(qn("w:val"), _LINK_COLOUR)
            underline = OxmlElement("w:u")
            underline.set(qn("w:val"), "single")
            props.extend([colour, underline])
        run.append(props)
        node = OxmlElement("w:t")
        node.text = text
        node.set(qn("xml:space"), "preserve")
        run.append(node)
        link.append(run)
        paragraph._p.append(link)
