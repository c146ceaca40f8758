"""The jobs `monitor schedule` runs: fetch some sources, send the digest, serve the calendar.

Each job opens its own database connection (APScheduler runs jobs in a worker thread) and
re-reads sources.yaml and rules.yaml when they changed on disk, so PA staff can edit their rules
while the scheduler runs. A file with mistakes is reported in the log and the last good
configuration stays in use: an unattended service must not stop over a typo. New sources or
intervals need a restart (the job list is built once), which the log says.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Config, ConfigError, load_config
from .store import Store
from .timeutil import now as current_time

if TYPE_CHECKING:
    from .deliver.calendar import CalendarServer

log = logging.getLogger(__name__)


class Jobs:
    """The scheduler's job callables, bound to one config directory and database."""

    def __init__(
        self,
        config_dir: Path,
        db_path: Path,
        *,
        clock: Callable[[], datetime] = current_time,
        progress: Callable[[str], None] = lambda message: None,
        connect: Callable[[Any], Any] | None = None,
    ) -> None:
        self.config_dir = Path(config_dir)
        self.db_path = Path(db_path)
        self.clock = clock
        self.progress = progress
        self.connect = connect  # the SMTP connection factory; tests pass a loopback one
        self.config = load_config(self.config_dir)  # a broken config at start is the caller's error
        self._stamp = self._files_stamp()

    def _files_stamp(self) -> tuple[float, ...]:
        stamps = []
        for name in ("sources.yaml", "rules.yaml"):
            try:
                stamps.append((self.config_dir / name).stat().st_mtime)
            except OSError:
                stamps.append(0.0)
        return tuple(stamps)

    def current_config(self) -> Config:
        """The configuration, re-read when a file changed; the last good one if it is broken now."""
        stamp = self._files_stamp()
        if stamp != self._stamp:
            self._stamp = stamp
            try:
                fresh = load_config(self.config_dir)
            except ConfigError as exc:
                log.error("configuration changed but has errors; still using the previous one:\n%s", exc)
            else:
                if [(s.id, s.every, s.enabled) for s in fresh.sources.sources] != [(s.id, s.every, s.enabled) for s in self.config.sources.sources]:
                    log.warning("sources.yaml changed its sources or intervals: restart `monitor schedule` to apply them")
                log.info("configuration re-read (rules version %s)", fresh.rules.version)
                self.config = fresh
        return self.config

    def fetch(self, source_ids: list[str]) -> None:
        """Fetch these sources and match what they brought."""
        from .pipeline import fetch_and_match

        config = self.current_config()
        store = Store(self.db_path)
        try:
            runs, _ = fetch_and_match(config, store, self.clock(), only=source_ids, progress=self.progress, connect=self.connect)
        finally:
            store.close()
        for run in runs:
            if run.error:
                log.warning("%s: %s", run.source.id, run.error)

    def digest(self) -> None:
        """Queue and send today's digests (retrying what is still pending)."""
        from .pipeline import send_digests

        config = self.current_config()
        from .deliver.webhook import is_webhook

        if config.sources.email is None and not any(is_webhook(r) for d in config.rules.dossiers.values() for r in d.recipients):
            log.warning("digest: no email section in sources.yaml any more; nothing sent")
            return
        store = Store(self.db_path)
        try:
            outcome = send_digests(config, store, self.clock(), connect=self.connect)
        finally:
            store.close()
        queued = sum(1 for p in outcome.prepared if p.outbox_id)
        log.info("digest: %d queued, %d sent", queued, len(outcome.sent_ids))
        for failure in outcome.failures:
            later = "given up" if failure.gave_up else "retried at the next run"
            log.warning("digest to %s not sent (%s): %s", failure.recipient, later, failure.error)

    def serve_calendar(self) -> CalendarServer:
        """Start the lobbykalender server configured in sources.yaml (`calendar:`), with the Atom feeds."""
        from .deliver.calendar import calendar_secret, serve_calendar
        from .pipeline import calendar, feed

        config = self.current_config()
        Store(self.db_path).close()  # create the schema before the first request

        def render(dossier: str | None) -> bytes:
            store = Store(self.db_path)
            try:
                return calendar(self.current_config(), store, self.clock(), dossier)
            finally:
                store.close()

        def render_feed(dossier: str | None) -> bytes:
            store = Store(self.db_path)
            try:
                return feed(self.current_config(), store, self.clock(), dossier)
            finally:
                store.close()

        return serve_calendar(render, config.rules, calendar_secret(self.db_path), config.sources.calendar.host,
                              config.sources.calendar.port, feed_render=render_feed)
