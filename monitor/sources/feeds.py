"""RSS and Atom feeds (vakpers, government news, officielebekendmakingen searches).

We fetch with the shared httpx client (feedparser's own fetching has no timeout) and hand
feedparser the bytes plus the response headers, so it can detect the encoding and resolve
relative links. The real world is broken: a "bozo" feed that still yields entries is a warning,
not a failure. Only an answer with no feed in it at all is an error.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import re
import warnings
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import feedparser
from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning

from ..config import SourceConfig
from ..models import KIND_ARTICLE, Item
from ..timeutil import AMS, iso
from . import FetchContext, FetchResult, SourceError

ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"
_FEED_MARKERS = (b"<rss", b"<feed", b"<rdf:rdf", b"<channel", b"<?xml")

# bs4 warns when a teaser happens to look like a URL or file name; for feed text that is noise.
warnings.filterwarnings("ignore", category=MarkupResemblesLocatorWarning)


async def fetch(source: SourceConfig, ctx: FetchContext) -> FetchResult:
    """Fetch one feed, store its entries as items; conditional GET and body hashing skip unchanged feeds."""
    state = ctx.store.get_state(source.id)
    result = FetchResult()
    # Validators belong to one exact URL: after an edit of `url:` the old ETag means nothing.
    same_url = (state.get("cursor") or {}).get("url") == source.url
    response = await ctx.client.get(
        source.url,
        etag=state.get("etag") if same_url else None,
        last_modified=state.get("last_modified") if same_url else None,
        accept=ACCEPT,
    )
    result.requests = response.attempts
    if response.not_modified:
        result.not_modified = True
        return result
    body_hash = hashlib.sha256(response.content).hexdigest()
    cursor = {"url": source.url, "body_sha256": body_hash}
    if same_url and (state.get("cursor") or {}).get("body_sha256") == body_hash:
        # Servers without validators: an identical body needs no parsing and writes nothing.
        result.not_modified = True
        ctx.store.save_state(source.id, etag=response.etag, last_modified=response.last_modified)
        return result

    parsed = parse_feed(response.content, response.headers.get("content-type"), response.url)
    if parsed.bozo:
        result.warnings.append(f"feed is not well-formed ({_bozo_reason(parsed)}); read what could be read")
    seen_at = iso(ctx.now)
    stored: set[str] = set()
    for entry in parsed.entries:
        item = entry_to_item(source, entry, response.url)
        if item is None or item.external_id in stored:
            continue
        stored.add(item.external_id)
        result.count(ctx.store.upsert_item(item, seen_at))
    if not parsed.entries and not result.warnings:
        result.warnings.append("the feed has no entries")
    # Validators are saved only after the entries are stored: a crash in between re-reads the feed.
    ctx.store.save_state(source.id, etag=response.etag, last_modified=response.last_modified, cursor=cursor)
    return result


def parse_feed(content: bytes, content_type: str | None, url: str) -> feedparser.FeedParserDict:
    """Parse feed bytes; raise SourceError when the answer is not a feed at all."""
    head = content[:2048].lstrip().lower()
    # No content-location here: feedparser would then also "resolve" relative guids, and ids
    # must not change when a feed moves. Links are resolved in entry_to_item instead.
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(content, response_headers=headers)
    if parsed.entries or parsed.version:
        return parsed
    relabelled = _relabel_utf8(content)
    if relabelled is not None:
        # A feed that declares one encoding but is really UTF-8 (common with CMS templates)
        # can decode "successfully" as garbage; if the bytes are valid UTF-8, believe the bytes.
        retry = feedparser.parse(relabelled, response_headers=headers)
        if retry.entries or retry.version:
            retry["bozo"] = 1
            retry["bozo_exception"] = f"declared as {parsed.get('encoding') or 'another encoding'}, but the bytes are UTF-8"
            return retry
    if not content.strip():
        raise SourceError(f"empty answer from {url}")
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:512]:
        raise SourceError(f"not a feed: {url} returned an HTML page (moved, or a consent/error page?)")
    if not any(marker in head for marker in _FEED_MARKERS):
        raise SourceError(f"not a feed: {url} returned {content_type or 'unknown content'}")
    raise SourceError(f"invalid feed XML from {url}: {_bozo_reason(parsed)}")


_DECLARATION = re.compile(rb"""^(\s*<\?xml[^>]*?encoding=)(["'])[^"']*\2""")


def _relabel_utf8(content: bytes) -> bytes | None:
    match = _DECLARATION.match(content)
    if not match or b"utf-8" in match.group(0).lower():
        return None
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return _DECLARATION.sub(rb'\1"utf-8"', content, count=1)


def entry_to_item(source: SourceConfig, entry: Any, base_url: str) -> Item | None:
    """Turn one feedparser entry into an Item (None for an entry with neither title nor link)."""
    link = entry.get("link")
    link = urljoin(base_url, link) if link else None
    title = html_to_text(entry.get("title") or "")
    html = _entry_html(entry)
    text = html_to_text(html)
    if not title and not link and not text:
        return None
    published = entry_date(entry)
    external_id = _stable_id(entry, link, title, published)
    data: dict[str, Any] = {}
    if entry.get("author"):
        data["auteur"] = entry.get("author")
    tags = [t.get("term") for t in entry.get("tags") or [] if t.get("term")]
    if tags:
        data["categorieen"] = tags
    if published is None:
        data["datum_onbekend"] = True
    if source.label:
        data["label"] = source.label
    raw = {
        "id": entry.get("id"),
        "title": entry.get("title"),
        "link": entry.get("link"),
        "published": entry.get("published") or entry.get("updated"),
        "summary": entry.get("summary"),
        "content": [c.get("value") for c in entry.get("content") or []],
        "author": entry.get("author"),
        "tags": tags,
    }
    return Item(
        source=source.id,
        external_id=external_id,
        kind=KIND_ARTICLE,
        title=title or (text[:120] if text else link or ""),
        text=text,
        url=link,
        published_at=iso(published) if published else None,
        event_at=None,
        data=data,
        raw=json.dumps(raw, ensure_ascii=False, default=str),
    )


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment (tags dropped, entities decoded, whitespace folded)."""
    if not html:
        return ""
    if "<" in html or "&" in html:
        html = BeautifulSoup(html, "html.parser").get_text(" ")
    return re.sub(r"\s+", " ", html).strip()


def entry_date(entry: Any) -> datetime | None:
    """The entry's publication date in Amsterdam time (falling back to its update date).

    feedparser gives UTC tuples; converting to Amsterdam *before* anyone takes the day matters,
    because a date-only pubDate at local midnight (+02:00) is the previous day in UTC.
    """
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            moment = datetime.fromtimestamp(calendar.timegm(value), tz=timezone.utc).astimezone(AMS)
            # A silent misparse (e.g. DD-MM-YYYY read as year 2003) is worse than no date.
            if 1995 <= moment.year <= datetime.now(AMS).year + 2:
                return moment
    return None


def _entry_html(entry: Any) -> str:
    for content in entry.get("content") or []:
        if content.get("value"):
            return content["value"]
    return entry.get("summary") or entry.get("description") or ""


_TRACKING = re.compile(r"^(utm_|fbclid$|gclid$|mc_)")


def canonical_link(link: str) -> str:
    """A link without fragment and tracking parameters, used as an id when a feed has no guid."""
    parts = urlsplit(link)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path, urlencode(query), ""))


def _stable_id(entry: Any, link: str | None, title: str, published: datetime | None) -> str:
    guid = (entry.get("id") or "").strip()
    if guid:
        return guid
    if link:
        return canonical_link(link)
    blob = f"{title}|{iso(published) if published else ''}"
    return "sha1:" + hashlib.sha1(blob.encode("utf-8")).hexdigest()


def _bozo_reason(parsed: Any) -> str:
    exc = parsed.get("bozo_exception")
    text = str(exc) if exc else "unknown problem"
    return text if len(text) < 200 else text[:197] + "..."


# ---------------------------------------------------------------------------- Dutch dates
# feedparser knows no Dutch month or day names and reads "CET"/"CEST" as UTC. Dutch CMSs
# emit all of these, so we register one handler that understands them.

_MONTHS = {
    "jan": 1, "januari": 1, "feb": 2, "februari": 2, "mrt": 3, "maa": 3, "maart": 3, "apr": 4, "april": 4,
    "mei": 5, "jun": 6, "juni": 6, "jul": 7, "juli": 7, "aug": 8, "augustus": 8, "sep": 9, "sept": 9,
    "september": 9, "okt": 10, "oct": 10, "oktober": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}
_EN_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
_DUTCH = re.compile(
    r"^(?:[a-z]{2,9}\.?,?\s+)?(\d{1,2})\s+([a-z]+)\.?\s+(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*(cest|cet|[+-]\d{4}|gmt|utc|z)?$"
)
_DMY = re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_NAIVE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?$")


def _dutch_date_handler(value: str) -> Any:
    text = value.strip().lower()
    parts = None
    zone: str | None = None
    if match := _DUTCH.match(text):
        day, month_name, year, hh, mm, ss, zone = match.groups()
        month = _MONTHS.get(month_name) or _EN_MONTHS.get(month_name[:3])
        if not month:
            return None
        parts = (int(year), month, int(day), int(hh or 0), int(mm or 0), int(ss or 0))
    elif match := _DMY.match(text):
        day, month, year, hh, mm, ss = match.groups()
        parts = (int(year), int(month), int(day), int(hh or 0), int(mm or 0), int(ss or 0))
    elif match := _NAIVE_ISO.match(text):
        # A Dutch CMS's ISO time without offset is local time, not UTC.
        parts = tuple(int(g or 0) for g in match.groups())  # type: ignore[assignment]
    if parts is None:
        return None
    try:
        local = datetime(*parts)
    except ValueError:
        return None
    if zone in (None, "cet", "cest"):
        aware = local.replace(tzinfo=AMS)
    elif zone in ("gmt", "utc", "z"):
        aware = local.replace(tzinfo=timezone.utc)
    else:
        sign = 1 if zone[0] == "+" else -1
        offset = sign * (int(zone[1:3]) * 60 + int(zone[3:5]))
        aware = local.replace(tzinfo=timezone(timedelta(minutes=offset)))
    return aware.astimezone(timezone.utc).timetuple()


feedparser.registerDateHandler(_dutch_date_handler)
