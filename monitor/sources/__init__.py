"""Sources: one module per kind, all behind one small interface.

A fetcher is `async def fetch(source: SourceConfig, ctx: FetchContext) -> FetchResult`. It reads
its cursor/ETag from `ctx.store`, writes items with `ctx.store.upsert_item` (and deletions with
`mark_deleted`), saves its cursor only after what it covers is stored, and raises `SourceError`
with a one-line, human message when it cannot do its work. Health bookkeeping is the pipeline's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config import SourceConfig
    from ..store import Store
    from .http import HttpClient


class SourceError(Exception):
    """A source could not be fetched; the message is shown to users as is."""


@dataclass
class FetchContext:
    """What a fetcher gets to work with."""

    store: Store
    client: HttpClient
    now: datetime
    progress: Callable[[str], None] = lambda message: None


@dataclass
class FetchResult:
    """What one fetch of one source did. `error` is set when part of it failed (e.g. one Kamer category)."""

    new: int = 0
    changed: int = 0
    deleted: int = 0
    unchanged: int = 0
    requests: int = 0
    not_modified: bool = False
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    def count(self, outcome: str) -> None:
        """Tally an outcome of Store.upsert_item."""
        if outcome == "new":
            self.new += 1
        elif outcome == "changed":
            self.changed += 1
        else:
            self.unchanged += 1


Fetcher = Callable[["SourceConfig", FetchContext], Awaitable[FetchResult]]


def fetcher_for(kind: str) -> Fetcher:
    """The fetch function for a source kind from sources.yaml."""
    if kind == "feed":
        from .feeds import fetch

        return fetch
    if kind == "tk":
        from .tk import fetch

        return fetch
    raise ValueError(f"no fetcher for source kind {kind!r}")
