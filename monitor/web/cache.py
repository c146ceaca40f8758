"""A cache of what pages build from the briefing, valid while the data and the time bucket are the same.

Building a briefing over a year of Kamer data takes a second or more (the meeting chains and
woordvoerders of every dossier), and a team opens Vandaag many times between two fetches. What a
page shows depends only on the stored data, the rules and the moment it is read; so a built
value is kept under a *fingerprint* of the data (the newest item, change, fetch, moment and
piece of work, each a lookup on an index or a primary key) and the rules version, for at most
`ttl` seconds of clock time (states such as "te laat" or a stale source follow the clock). Any
fetch, rules change or recorded work gives a new fingerprint, so nothing stale is ever shown
past that; `Warmer` rebuilds Vandaag and the dossier pages read lately in the background, so
the first reader after a fetch does not wait either.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any

log = logging.getLogger(__name__)

TTL_SECONDS = 300
SIZE = 64


def fingerprint(db: Any) -> tuple[Any, ...]:
    """What changes whenever the pipeline or the team writes something a page shows."""
    row = db.execute(
        "SELECT (SELECT max(first_seen) FROM items), (SELECT max(id) FROM changes), (SELECT max(id) FROM fetch_log),"
        " (SELECT max(updated_at) FROM moments), (SELECT max(id) FROM moment_work), (SELECT count(*) FROM moments)"
    ).fetchone()
    return tuple(row)


class PageCache:
    """A small LRU of built values; one build per key at a time (others wait for it)."""

    def __init__(self, ttl: int = TTL_SECONDS, size: int = SIZE) -> None:
        self.ttl = ttl
        self.size = size
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[Hashable, threading.Lock] = {}

    def key(self, name: Hashable, db: Any, rules_version: str, now: datetime) -> Hashable:
        """The key of `name` for the data in `db`, the rules, and the clock's bucket."""
        return (name, rules_version, fingerprint(db), int(now.timestamp() // self.ttl))

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """The value for `key`, built once."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            gate = self._building.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                if key in self._values:
                    return self._values[key]
            value = build()
            with self._lock:
                self._values[key] = value
                while len(self._values) > self.size:
                    self._values.popitem(last=False)
                self._building.pop(key, None)
            return value

    def clear(self) -> None:
        """Forget everything (the benchmark's cold measurements)."""
        with self._lock:
            self._values.clear()


class Warmer:
    """Rebuilds a page's value in a background thread every `every` seconds (a no-op when the key is cached)."""

    def __init__(self, warm: Callable[[], None], every: float = 30.0) -> None:
        self.warm = warm
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="werkplek-warmer", daemon=True)

    def start(self) -> Warmer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.warm()
            except Exception:  # a broken rules.yaml or a busy database: the page will say so itself
                log.debug("werkplek: warming the cache failed", exc_info=True)
            self._stop.wait(self.every)
