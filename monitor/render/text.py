"""Print a laid-out document as plain text or as Markdown.

The hits the rule engine marks in a snippet with «…» stay as «…» in text and become bold in
Markdown; everything else is printed as laid out.
"""

from __future__ import annotations

import re

from .layout import Block, Document, Group, Line

_PREFIX = {"change": "! ", "note": "", "person": "  - ", "vote": "» ", "deadline": "→ ", "warn": "", "snippet": ""}


def to_text(document: Document) -> str:
    """The document as plain text (what a terminal and the text part of a mail show)."""
    out: list[str] = [document.title.upper(), *document.subtitle, ""]
    for line in document.banner:
        out += [f"!! {line}", ""]
    for section in document.sections:
        heading = section.heading.upper() if section.level == 2 else section.heading
        out += [heading, ("-" if section.level == 2 else "~") * len(heading)]
        for group in section.groups:
            out += _text_group(group)
        out.append("")
    for line in document.footer:
        out.append(line)
    return "\n".join(out).rstrip() + "\n"


def _text_group(group: Group) -> list[str]:
    out: list[str] = []
    if group.heading:
        out.append(f"{group.heading}:")
    if not group.blocks and group.empty:
        out.append(group.empty)
    for block in group.blocks:
        out += _text_block(block)
    return out


def _text_block(block: Block) -> list[str]:
    if not block.title:  # a list without a head (Bronnen)
        return [_text_line(line, indent="") for line in block.lines]
    badges = "".join(f" [{b.upper()}]" for b in block.badges)
    head = f"• {block.when}  {block.title}" if block.when else f"• {block.title}"
    out = [head + badges]
    if block.link:
        out.append(f"  {block.link}")
    out += [_text_line(line) for line in block.lines]
    return out


def _text_line(line: Line, indent: str = "  ") -> str:
    text = f"“{line.text}”" if line.style == "snippet" else line.text
    link = f"\n{indent}  {line.link}" if line.link else ""
    return f"{indent}{_PREFIX.get(line.style, '')}{text}{link}"


# ---------------------------------------------------------------------------- Markdown


def escape_markdown(text: str) -> str:
    """Escape what Markdown would read as markup."""
    for char in "\\`*_[]<>|#":
        text = text.replace(char, "\\" + char)
    return text


def to_markdown(document: Document) -> str:
    """The document as Markdown (for a wiki, an intranet page, or Teams)."""
    out: list[str] = [f"# {escape_markdown(document.title)}", ""]
    out += [f"_{escape_markdown(line)}_  " for line in document.subtitle] + [""]
    for line in document.banner:
        out += [f"> **{escape_markdown(line)}**", ""]
    for section in document.sections:
        out += [f"{'#' * section.level} {escape_markdown(section.heading)}", ""]
        for group in section.groups:
            if group.heading:
                out += [f"{'#' * (section.level + 1)} {escape_markdown(group.heading)}", ""]
            if not group.blocks and group.empty:
                out += [escape_markdown(group.empty), ""]
            for block in group.blocks:
                out += _md_block(block)
            if group.blocks:
                out.append("")
    out += [escape_markdown(line) for line in document.footer]
    return "\n".join(out).rstrip() + "\n"


def _md_block(block: Block) -> list[str]:
    if not block.title:
        return [f"- {_md_line(line)}" for line in block.lines]
    title = escape_markdown(block.title)
    head = f"[{title}]({block.link})" if block.link else title
    when = f"{escape_markdown(block.when)} — " if block.when else ""
    badges = "".join(f" `{b}`" for b in block.badges)
    out = [f"- {when}**{head}**{badges}  "]
    out += [f"  {_md_line(line)}  " for line in block.lines]
    return out


def _md_line(line: Line) -> str:
    text = escape_markdown(line.text)
    if line.link:
        text = f"[{text}]({line.link})"
    if line.style == "snippet":
        return "> " + re.sub(r"«([^«»]*)»", r"**\1**", text)
    if line.style in ("deadline", "vote"):
        return f"**{text}**"
    if line.style == "change":
        return f"⚠ {text}"
    if line.style in ("why", "meta", "muted"):
        return f"_{text}_"
    if line.style == "person":
        return f"• {text}"
    return text
