"""Print a laid-out document as HTML: the report page and the HTML part of the digest mail.

One template for both. It is built from tables with the colours on cell backgrounds, because
that is what Outlook (Word's HTML engine) and Gmail render; the `<style>` block is kept for
clients that read it, and for mail the CSS is also inlined. Every value is escaped by Jinja's
autoescape; the «…» hit markers of a snippet become `<strong>` after escaping.
"""

from __future__ import annotations

import re
from pathlib import Path

import css_inline
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from .layout import Document

TEMPLATES = Path(__file__).parent / "templates"

TONES = {  # the bar colour per tone: cell background, so Outlook shows it too
    "action": "#e17000",
    "late": "#b42318",
    "cancelled": "#9aa5b1",
    "change": "#7c3aed",
    "muted": "#cbd2d9",
    "plain": "#d9dee4",
}
BADGE_COLOURS = {
    "te laat": "#b42318", "geannuleerd": "#b42318", "vervallen": "#b42318", "verworpen": "#b42318", "van de agenda": "#b42318",
    "verwijderd": "#b42318", "verplaatst": "#b45309", "verplaatst, datum volgt": "#b45309", "vandaag": "#b45309",
    "aangenomen": "#027a48", "afgehandeld": "#027a48", "beantwoord": "#027a48", "uitstel": "#b45309", "nieuw": "#154273",
}


def _hits(value: str) -> Markup:
    """Escape source text, then bold the hits the rule engine marked with «…»."""
    return Markup(re.sub(r"«([^«»]*)»", r"<strong>\1</strong>", str(escape(value))))


_ENV = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters["hits"] = _hits
_ENV.globals.update(tones=TONES, badge_colours=BADGE_COLOURS)


def to_html(document: Document, *, mail: bool = False) -> str:
    """The document as a self-contained HTML page; `mail` inlines the CSS for mail clients."""
    html = _ENV.get_template("briefing.html").render(doc=document, mail=mail)
    if mail:
        # Outlook and Gmail drop <style> blocks in many cases; inline styles survive. The block is
        # kept too, for the clients that read it (Apple Mail, Thunderbird, Gmail in part).
        html = _INLINER.inline(html)
    return html


_INLINER = css_inline.CSSInliner(keep_style_tags=True)
