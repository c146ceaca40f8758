"""The text of a Kamer document's file (PDF, Word, HTML), bounded in size and time.

A letter's title often names no dossier ("Verzamelbrief VWS") while page 3 discusses beschermd
wonen, so the file's text is what the rules must see. Files come from the Kamer but are parsed
as untrusted: the kind is decided by the bytes (not the declared content type), sizes and pages
are capped, and anything unreadable raises `ExtractError` with one sentence, so the document is
retried later and never blocks a run.
"""

from __future__ import annotations

import io
import logging
import zipfile

MAX_BYTES = 20 * 1024 * 1024  # a Kamerbrief is rarely above 5 MB; bijlagen with scans can be far more
MAX_PAGES = 300
MAX_CHARS = 1_000_000

PDF, WORD, HTML = "pdf", "docx", "html"


class ExtractError(ValueError):
    """A file whose text cannot be read; the message says why in one sentence."""


def kind_of(data: bytes, content_type: str | None = None) -> str | None:
    """'pdf', 'docx' or 'html' by the file's first bytes (the declared type only breaks ties), else None."""
    head = data[:1024].lstrip()
    if head.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "word/document.xml" in archive.namelist():
                    return WORD
        except zipfile.BadZipFile:
            return None
        return None
    lowered = head[:200].lower()
    if lowered.startswith((b"<!doctype html", b"<html")) or "html" in (content_type or "").lower():
        return HTML
    return None


def extract_text(data: bytes, content_type: str | None = None, max_chars: int = MAX_CHARS) -> str:
    """The document's text, paragraphs on their own lines, at most `max_chars` characters."""
    if len(data) > MAX_BYTES:
        raise ExtractError(f"the file is {len(data) / 1024 / 1024:.0f} MB, more than the {MAX_BYTES // 1024 // 1024} MB a document may be")
    if not data.strip():
        raise ExtractError("the file is empty")
    kind = kind_of(data, content_type)
    if kind == PDF:
        text = _pdf(data, max_chars)
    elif kind == WORD:
        text = _word(data)
    elif kind == HTML:
        text = _html(data)
    else:
        shown = data[:8].hex(" ")
        raise ExtractError(f"not a PDF, Word or HTML file (declared {content_type or 'no type'}, starts with {shown})")
    text = "\n".join(" ".join(line.split()) for line in text.splitlines())
    text = "\n".join(line for line in text.split("\n") if line)
    return text[:max_chars]


def _pdf(data: bytes, max_chars: int) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    # pypdf warns about every repaired cross-reference; a damaged file is our problem to report, once.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise ExtractError("the PDF is encrypted")
        parts: list[str] = []
        size = 0
        for number, page in enumerate(reader.pages):
            if number >= MAX_PAGES or size >= max_chars:
                break
            text = page.extract_text() or ""
            parts.append(text)
            size += len(text)
    except ExtractError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, OSError) as exc:
        # pypdf raises many kinds on damaged files; all mean "cannot read this PDF".
        raise ExtractError(f"the PDF cannot be read: {type(exc).__name__}: {exc}"[:300]) from None
    return "\n".join(parts)


def _word(data: bytes) -> str:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - python-docx raises anything from zip, lxml and its own checks
        raise ExtractError(f"the Word file cannot be read: {type(exc).__name__}: {exc}"[:300]) from None
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(lines)


def _html(data: bytes) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "html.parser")
    for element in soup(["script", "style"]):
        element.decompose()
    return soup.get_text("\n")
