"""SyncFeed XML -> entity records, for the Tweede Kamer source (`monitor.sources.tk`).

The live feed is Atom (default namespace `http://www.w3.org/2005/Atom`) with the entity XML in
the tkData namespace. Depending on the category that namespace is the default one with `tk:`
prefixed attributes, or an `ns1:` prefix on elements and attributes; a recorder may also strip
namespaces altogether. So everything here compares *local names* and never a literal prefix.
The element order of the live feed differs from the XSD's `xs:sequence`, so nothing depends on
order either.

An entity becomes an `Entry`: its scalar children as `fields` (keys lower-cased, because the
Kamer's casing drifts between APIs: `naamNl`/`NaamNL`), its `<x ref="…"/>` children as `refs`,
and the bookkeeping attributes (`id`, `bijgewerkt`, `verwijderd`). Values stay text; the item
builders decide what a value means, so an unknown Soort can never break parsing.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

TKDATA_NS = "http://www.tweedekamer.nl/xsd/tkData/v1-0"
ATOM_NS = "http://www.w3.org/2005/Atom"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

# Every SyncFeed category we know of, so an entity element (lowerCamel, e.g. `zaakActor`) maps
# back to its category name (CamelCase, as `?category=` wants it).
KNOWN_CATEGORIES = (
    "Activiteit", "ActiviteitActor", "Agendapunt", "Besluit", "Commissie", "CommissieContactinformatie",
    "CommissieZetel", "CommissieZetelVastPersoon", "CommissieZetelVastVacature", "CommissieZetelVervangerPersoon",
    "CommissieZetelVervangerVacature", "Document", "DocumentActor", "DocumentVersie", "Fractie", "FractieZetel",
    "FractieZetelPersoon", "FractieZetelVacature", "Kamerstukdossier", "Persoon", "PersoonContactinformatie",
    "PersoonGeschenk", "PersoonLoopbaan", "PersoonNevenfunctie", "PersoonNevenfunctieInkomsten", "PersoonOnderwijs",
    "PersoonReis", "Reservering", "Stemming", "Toezegging", "Vergadering", "Verslag", "Zaak", "ZaakActor", "Zaal",
)
CATEGORY_BY_ELEMENT = {name.lower(): name for name in KNOWN_CATEGORIES}
REPEATABLE_FIELDS = frozenset({"kamerbriefnakoming"})

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_FRACTION = re.compile(r"(\.\d{1,6})\d*")


class FeedError(Exception):
    """A SyncFeed answer that cannot be used (malformed XML, an `<Error>` body, an HTML page)."""


@dataclass
class Entry:
    """One entity version from the feed (or from `/Entiteiten/<id>`)."""

    category: str
    id: str
    skiptoken: int | None  # from the entry's own rel="next" link; None for a direct look-up
    updated: str | None  # Atom <updated>: when the API published this version (UTC)
    bijgewerkt: str | None  # tk:bijgewerkt: when the source system changed it (offset varies)
    deleted: bool
    fields: dict[str, str | None] = field(default_factory=dict)
    refs: dict[str, list[str]] = field(default_factory=dict)
    enclosure: str | None = None


@dataclass
class Page:
    """One SyncFeed page: its entries in feed order and where to go next."""

    entries: list[Entry]
    next_skiptoken: int | None  # the last entry's rel="next", else the feed-level next/resume
    problems: list[str] = field(default_factory=list)  # entries that could not be read
    raw_count: int = 0  # <entry> elements on the page, readable or not
    first_updated: str | None = None  # <updated> of the first/last <entry>, readable or not
    last_updated: str | None = None
    tokens: list[tuple[int, str | None]] = field(default_factory=list)  # (skiptoken, updated) per entry


def local(tag: str) -> str:
    """The local name of an ElementTree tag or attribute name (`{ns}name` -> `name`)."""
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag.split(":")[-1]


def _attr(element: ET.Element, name: str) -> str | None:
    # An attribute by local name in any namespace: `id`, `tk:bijgewerkt`, `ns1:verwijderd`.
    if name in element.attrib:
        return element.attrib[name]
    for key, value in element.attrib.items():
        if local(key) == name:
            return value
    return None


def _child(element: ET.Element, name: str) -> ET.Element | None:
    for child in element:
        if isinstance(child.tag, str) and local(child.tag) == name:
            return child
    return None


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in element if isinstance(c.tag, str) and local(c.tag) == name]


def skiptoken_of(href: str | None) -> int | None:
    """The `skiptoken` query parameter of a feed link, as an int (None when absent or not a number)."""
    if not href:
        return None
    values = parse_qs(urlsplit(href.strip()).query).get("skiptoken")
    if not values:
        return None
    try:
        return int(values[0])
    except ValueError:
        return None


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1")


def parse_root(content: bytes) -> ET.Element:
    """Parse bytes into an element tree root; raise FeedError for anything that is not plain XML."""
    head = content[:2048].lstrip()
    if not head:
        raise FeedError("empty answer")
    lowered = head.lower()
    if lowered.startswith(b"<!doctype html") or b"<html" in lowered[:512]:
        raise FeedError("not a SyncFeed page: the server returned an HTML page")
    if _DOCTYPE.search(head):
        # The feed never carries a DTD; refusing one rules out entity-expansion attacks
        # without needing defusedxml.
        raise FeedError("refusing XML with a DOCTYPE declaration")
    try:
        root = ET.fromstring(content)
    except ET.ParseError as exc:
        raise FeedError(f"malformed XML ({exc})") from None
    if local(root.tag) == "Error":
        message = " ".join("".join(root.itertext()).split()) or "no message"
        raise FeedError(f"the server answered with an <Error>: {message}")
    return root


def parse_page(content: bytes, category: str | None = None) -> Page:
    """Parse one SyncFeed page. Raises FeedError when it is not a usable feed page."""
    root = parse_root(content)
    if local(root.tag) != "feed":
        raise FeedError(f"not a SyncFeed page: root element <{local(root.tag)}>")
    feed_next = resume = None
    for link in _children(root, "link"):
        rel = link.get("rel")
        if rel == "next":
            feed_next = skiptoken_of(link.get("href"))
        elif rel == "resume":
            resume = skiptoken_of(link.get("href"))
    page = Page(entries=[], next_skiptoken=None)
    last_token: int | None = None
    elements = _children(root, "entry")
    page.raw_count = len(elements)
    for position, element in enumerate(elements):
        token = None
        enclosure = None
        for link in _children(element, "link"):
            rel = link.get("rel")
            if rel == "next":
                token = skiptoken_of(link.get("href"))
            elif rel == "enclosure":
                enclosure = link.get("href")
        updated_el = _child(element, "updated")
        updated = (updated_el.text or "").strip() or None if updated_el is not None else None
        if position == 0:
            page.first_updated = updated
        page.last_updated = updated
        # An entry without its own next link keeps the order of the one before it.
        token = token if token is not None else last_token
        if token is not None:
            last_token = token
            page.tokens.append((token, updated))
        try:
            entry = _entry(element, category, token, updated, enclosure)
        except FeedError as exc:
            page.problems.append(f"entry {position + 1}" + (f" (skiptoken {token})" if token else "") + f": {exc}")
            continue
        page.entries.append(entry)
    page.next_skiptoken = last_token if last_token is not None else (feed_next if feed_next is not None else resume)
    return page


def _entry(element: ET.Element, category: str | None, token: int | None, updated: str | None, enclosure: str | None) -> Entry:
    content = _child(element, "content")
    entity = None
    if content is not None:
        entity = next((c for c in content if isinstance(c.tag, str)), None)
    title = _child(element, "title")
    atom_id = _child(element, "id")
    fallback_id = _id_from(title.text if title is not None else None) or _id_from(
        (atom_id.text or "").rstrip("/").rsplit("/", 1)[-1] if atom_id is not None and atom_id.text else None
    )
    if entity is None:
        raise FeedError("no entity in <content>")
    return entity_from_element(entity, category, token, updated, enclosure, fallback_id)


def _id_from(text: str | None) -> str | None:
    value = (text or "").strip()
    return value.lower() if _GUID.match(value) else None


def entity_from_element(
    entity: ET.Element,
    category: str | None = None,
    token: int | None = None,
    updated: str | None = None,
    enclosure: str | None = None,
    fallback_id: str | None = None,
) -> Entry:
    """Turn one tkData entity element into an Entry (raises FeedError without any usable id)."""
    name = local(entity.tag)
    entity_category = CATEGORY_BY_ELEMENT.get(name.lower()) or category or name[:1].upper() + name[1:]
    entity_id = _id_from(_attr(entity, "id")) or fallback_id
    if not entity_id:
        raise FeedError(f"<{name}> without an id")
    deleted = _truthy(_attr(entity, "verwijderd"))
    fields: dict[str, str | None] = {}
    refs: dict[str, list[str]] = {}
    if not deleted:
        for child in entity:
            if not isinstance(child.tag, str):
                continue
            key = local(child.tag).lower()
            if key == "annotatie":
                continue
            ref = _attr(child, "ref")
            if ref is not None:
                ref_id = _id_from(ref)
                if ref_id:
                    targets = refs.setdefault(key, [])
                    if ref_id not in targets:
                        targets.append(ref_id)
                continue
            if _truthy(child.get(f"{{{XSI_NS}}}nil")):
                fields.setdefault(key, None)
                continue
            text = "".join(child.itertext())
            if key in REPEATABLE_FIELDS and fields.get(key) and text:
                # The live feed repeats some elements its XSD allows once (a toezegging kept by two letters).
                fields[key] = f"{fields[key]}, {text}"
                continue
            fields.setdefault(key, text if text != "" else None)
        for attr_name in ("contentType", "contentLength"):
            value = _attr(entity, attr_name)
            if value is not None:
                fields[attr_name.lower()] = value
    return Entry(
        category=entity_category,
        id=entity_id,
        skiptoken=token,
        updated=updated,
        bijgewerkt=_attr(entity, "bijgewerkt"),
        deleted=deleted,
        fields=fields,
        refs=refs,
        enclosure=enclosure,
    )


def parse_entity(content: bytes, category: str | None = None) -> Entry:
    """Parse the answer of `/SyncFeed/2.0/Entiteiten/<id>`.

    Its exact shape is undocumented, so accept the bare entity element, an Atom `<entry>`, or a
    `<feed>` holding one entry.
    """
    root = parse_root(content)
    name = local(root.tag)
    if name == "feed":
        page = parse_page(content, category)
        if not page.entries:
            raise FeedError("; ".join(page.problems) or "no entity in the answer")
        return page.entries[-1]
    if name == "entry":
        updated_el = _child(root, "updated")
        updated = (updated_el.text or "").strip() or None if updated_el is not None else None
        return _entry(root, category, None, updated, None)
    if name == "content":
        entity = next((c for c in root if isinstance(c.tag, str)), None)
        if entity is None:
            raise FeedError("no entity in the answer")
        return entity_from_element(entity, category)
    return entity_from_element(root, category)


def parse_time(value: str | None, naive_tz: timezone | None = timezone.utc) -> datetime | None:
    """Read a Kamer timestamp: 0-7 fractional digits, `Z`, an offset (`+01:00`, `+0100`) or naive.

    A naive value gets `naive_tz` (UTC for feed bookkeeping, which the Kamer documents as UTC);
    pass None to leave it naive. Returns None for empty or unreadable input.
    """
    if not value:
        return None
    text = value.strip()
    text = _FRACTION.sub(lambda m: m.group(1), text, count=1)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # `ns1:bijgewerkt` has been seen with a `+0100` offset without the colon (tkconv).
    text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None and naive_tz is not None:
        parsed = parsed.replace(tzinfo=naive_tz)
    return parsed
