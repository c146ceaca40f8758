"""The vocabulary every stage shares: items, matches, moments, source health.

These are plain dataclasses on purpose: the database is the contract between the stages, and
these objects are what a row means once it is read back. Nothing here does I/O.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Item kinds. Feeds produce articles; the Kamer source produces the other three.
KIND_ARTICLE = "artikel"
KIND_ACTIVITY = "activiteit"
KIND_ZAAK = "zaak"
KIND_DOCUMENT = "document"

# The fields of an item whose change is news. `data` is compared key by key, so a moved
# meeting records `data.datum` and `data.aanvangstijd`, not one opaque "data changed".
TRACKED_FIELDS = ("title", "text", "url", "published_at", "event_at", "kind")


@dataclass
class Item:
    """One fetched thing: a press article, a Kamer activity, zaak or document.

    `text` is the plain text rules match against (HTML already stripped); `data` holds the
    structured fields of the source (for the Kamer: soort, status, commissie, agendapunten ...);
    `raw` is the payload as fetched, kept so a parser fix can re-derive items later.
    """

    source: str
    external_id: str
    kind: str
    title: str
    text: str = ""
    url: str | None = None
    published_at: str | None = None  # ISO 8601 with offset, Europe/Amsterdam
    event_at: str | None = None  # when the meeting/deadline happens, for agenda items
    data: dict[str, Any] = field(default_factory=dict)
    raw: str = ""

    @property
    def id(self) -> str:
        """The storage key: `source:external_id`."""
        return f"{self.source}:{self.external_id}"

    def content_hash(self) -> str:
        """A hash of everything that counts as content (not `raw`, which may carry noise)."""
        payload = {name: getattr(self, name) for name in TRACKED_FIELDS}
        payload["data"] = self.data
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def fields(self) -> dict[str, str]:
        """The named text fields that rules can scope to (`titel:`, `tekst:`, `soort:`, `commissie:`)."""
        return {
            "titel": self.title or "",
            "tekst": self.text or "",
            "soort": str(self.data.get("soort") or ""),
            "commissie": _commissie_text(self.data),
        }


def _commissie_text(data: dict[str, Any]) -> str:
    commissie = data.get("commissie")
    if isinstance(commissie, dict):
        return " ".join(str(v) for v in (commissie.get("afkorting"), commissie.get("naam")) if v)
    return str(commissie or "")


@dataclass
class Change:
    """One field of an item that changed between two fetches (`old` -> `new`, as text)."""

    item_id: str
    field: str
    old: str | None
    new: str | None
    seen_at: str


@dataclass
class Match:
    """Why an item belongs to a dossier: which rule, which terms, and a snippet around the hit."""

    item_id: str
    dossier: str
    rule: str
    terms: list[str]
    snippet: str
    priority: str | None = None


@dataclass
class SourceHealth:
    """What the last fetches of one source did."""

    id: str
    kind: str
    label: str | None
    ok: bool
    last_attempt: str | None
    last_success: str | None
    last_error: str | None
    consecutive_failures: int
    new: int = 0
    changed: int = 0

    def is_stale(self, every: int, now: datetime) -> bool:
        """Working, but no success for three intervals (and at least six hours, so a laptop that
        slept over lunch is not reported): something is wrong that no single error shows."""
        if not self.ok or not self.last_success:
            return False
        last = datetime.fromisoformat(self.last_success)
        return (now - last).total_seconds() > max(3 * every, 6 * 3600)


@dataclass
class Woordvoerder:
    """A Kamerlid to approach on a dossier, with the reason we think so."""

    naam: str
    fractie: str | None
    reden: str
    persoon_id: str | None = None
    score: float = 0.0


@dataclass
class Moment:
    """A date by which PA staff must act, derived from the Kamer agenda (see domain.md)."""

    id: str
    kind: str  # brief | inbreng | agendering | positionpaper | motie | stemming | reactie
    dossiers: list[str]
    title: str
    event_at: str | None
    deadline: str | None  # YYYY-MM-DD; None for `reactie`
    status: str  # gepland | verplaatst | geannuleerd | te laat | voorbij
    activity: dict[str, Any] | None = None
    item_id: str | None = None
    triggers: list[str] = field(default_factory=list)
    woordvoerders: list[Woordvoerder] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
