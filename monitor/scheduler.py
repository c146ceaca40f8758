"""`monitor schedule`: fetch each source at its interval, send the digest on working days.

- Sources with the same `every:` interval are fetched together in one job (so the pipeline can
  fetch them concurrently); each interval group is its own job and starts right away.
- The digest runs at `digest.time` (Europe/Amsterdam) on Dutch working days only: weekends and
  public holidays are skipped by `WorkdayTrigger`, so the next run time shown is the real one.
- Missed runs (a laptop asleep, a long fetch) are coalesced into one run.
- Every job holds `run_lock` while it runs, the same lock the CLI takes for `monitor run`, so a
  manual run and the scheduler never write the database at the same time.
- SIGTERM/SIGINT stop it gracefully: no new jobs start, running ones finish, then it exits.

The job callables come from the caller (the CLI passes the pipeline), which keeps this module
free of pipeline imports and easy to test with time under control.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from filelock import FileLock, Timeout

from .timeutil import AMS

if TYPE_CHECKING:
    from .config import SourcesConfig

log = logging.getLogger(__name__)

DIGEST_JOB = "digest"
DIGEST_GRACE = 6 * 3600  # a digest missed by up to 6 hours (machine asleep at 07:00) still goes out
DEFAULT_LOCK_WAIT = 15 * 60  # a scheduled job waits this long for a manual run to finish


# ---------------------------------------------------------------------------- the lock


class LockBusy(RuntimeError):
    """Another `monitor` process holds the lock; the message says who and since when."""


def lock_path_for(db_path: str | Path) -> Path:
    """The lock file that guards a database: `<db>.lock` next to it."""
    return Path(f"{db_path}.lock")


def holder_path_for(lock_path: str | Path) -> Path:
    """The file next to the lock that says who holds it (`<db>.lock.holder`)."""
    return Path(f"{lock_path}.holder")


@contextmanager
def run_lock(path: str | Path, wait: float = 0.0, purpose: str = "monitor", poll: float = 0.2) -> Iterator[None]:
    """Hold an exclusive lock on `path` for the duration of the block.

    Waits up to `wait` seconds for another holder, then raises `LockBusy`. The lock is the
    operating system's (`filelock`: flock on Unix, LockFileEx on Windows), so it is released
    when the process dies, even by SIGKILL: no stale locks. Where neither exists, filelock falls
    back to a lock file that a killed process leaves behind (delete it by hand). Who holds the
    lock is written next to it, for the error message of the next one who tries.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    holder = holder_path_for(path)
    lock = FileLock(str(path), timeout=wait, poll_interval=poll, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        try:
            who = holder.read_text(encoding="utf-8").strip()
        except OSError:
            who = ""
        raise LockBusy(f"the database is in use by {who or 'another process'}; try again when it has finished") from None
    try:
        holder.write_text(f"{purpose} (pid {os.getpid()}, since {datetime.now(AMS):%Y-%m-%d %H:%M:%S})", encoding="utf-8")
        yield
    finally:
        try:
            holder.write_text("", encoding="utf-8")
        finally:
            lock.release()


# ---------------------------------------------------------------------------- working days


def _default_is_workday() -> Callable[[date], bool]:
    try:
        from .workdays import is_workday  # the moments stage's definition (Bevrijdingsdag etc.)

        return is_workday
    except ImportError:  # pragma: no cover - only when workdays.py is absent
        import holidays

        def fallback(day: date) -> bool:
            return day.weekday() < 5 and day not in holidays.country_holidays("NL", years=day.year)

        return fallback


class WorkdayTrigger(BaseTrigger):
    """Fires at HH:MM Europe/Amsterdam on Dutch working days only."""

    def __init__(self, hour: int, minute: int, is_workday: Callable[[date], bool] | None = None, timezone: Any = AMS) -> None:
        self.hour, self.minute = hour, minute
        self.timezone = timezone
        self.is_workday = is_workday or _default_is_workday()
        self._cron = CronTrigger(hour=hour, minute=minute, timezone=timezone)

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        """The first HH:MM at or after `now` that falls on a working day."""
        candidate = self._cron.get_next_fire_time(previous_fire_time, now)
        for _ in range(60):  # at most a couple of weeks of holidays in a row, with margin
            if candidate is None or self.is_workday(candidate.astimezone(AMS).date()):
                return candidate
            candidate = self._cron.get_next_fire_time(candidate, candidate + timedelta(seconds=1))
        return candidate

    def __str__(self) -> str:
        return f"working days at {self.hour:02d}:{self.minute:02d}"

    def __repr__(self) -> str:
        return f"<WorkdayTrigger {self.hour:02d}:{self.minute:02d}>"


# ---------------------------------------------------------------------------- the scheduler


def interval_groups(sources: SourcesConfig) -> dict[int, list[str]]:
    """Enabled source ids grouped by their `every:` interval in seconds."""
    groups: dict[int, list[str]] = {}
    for source in sources.sources:
        if source.enabled:
            groups.setdefault(int(source.every), []).append(source.id)
    return dict(sorted(groups.items()))


def locked(name: str, job: Callable[[], Any], lock: str | Path, wait: float = DEFAULT_LOCK_WAIT) -> Callable[[], bool]:
    """Wrap a job: run it under the lock; skip (and log) when the lock stays busy; never raise.

    Returns True when the job ran and finished, False when it was skipped or failed, so a
    failing job is logged and retried at its next run instead of stopping the scheduler.
    """

    def run() -> bool:
        started = time.monotonic()
        try:
            with run_lock(lock, wait=wait, purpose=f"monitor schedule: {name}"):
                log.info("%s: started", name)
                job()
        except LockBusy as exc:
            log.warning("%s: skipped, %s", name, exc)
            return False
        except Exception:  # a failing job must not take the scheduler down
            log.exception("%s: failed", name)
            return False
        log.info("%s: done in %.1fs", name, time.monotonic() - started)
        return True

    run.__name__ = f"locked_{name}"
    return run


def build_scheduler(
    sources: SourcesConfig,
    fetch: Callable[[list[str]], Any],
    digest: Callable[[], Any] | None,
    lock: str | Path,
    *,
    scheduler: BaseScheduler | None = None,
    is_workday: Callable[[date], bool] | None = None,
    lock_wait: float = DEFAULT_LOCK_WAIT,
    now: datetime | None = None,
    start_fetch_now: bool = True,
) -> BaseScheduler:
    """A (not yet started) scheduler with one fetch job per interval group and the digest job.

    `fetch(source_ids)` fetches, stores and matches those sources; `digest()` derives moments,
    prepares and sends the digests. Both run under `lock`. Jobs coalesce missed runs and never
    overlap themselves.
    """
    if scheduler is None:
        scheduler = BackgroundScheduler(
            timezone=AMS,
            # One worker: jobs take the same lock anyway, and queueing beats threads waiting on it.
            executors={"default": ThreadPoolExecutor(max_workers=1)},
        )
    defaults = {"coalesce": True, "max_instances": 1, "replace_existing": True}
    start = (now or datetime.now(AMS)).astimezone(AMS)
    for index, (every, ids) in enumerate(interval_groups(sources).items()):
        name = f"fetch {', '.join(ids)}"
        extra: dict[str, Any] = {}
        if start_fetch_now:
            # Fetch right away, staggered; passing next_run_time=None would pause the job.
            extra["next_run_time"] = start + timedelta(seconds=5 * index)
        scheduler.add_job(
            locked(name, lambda ids=ids: fetch(ids), lock, lock_wait),
            IntervalTrigger(seconds=every, timezone=AMS, start_date=start),
            id=f"fetch-{every}s",
            name=name,
            misfire_grace_time=every,  # a fetch missed by a whole interval is covered by the next one
            **extra,
            **defaults,
        )
    if digest is not None:
        hour, minute = (int(part) for part in sources.digest.time.split(":"))
        scheduler.add_job(
            locked("digest", digest, lock, lock_wait),
            WorkdayTrigger(hour, minute, is_workday),
            id=DIGEST_JOB,
            name="digest",
            misfire_grace_time=DIGEST_GRACE,
            **defaults,
        )
    return scheduler


def describe(scheduler: BaseScheduler) -> list[str]:
    """One line per job with its trigger and next run, logged when `monitor schedule` starts."""
    lines = []
    for job in scheduler.get_jobs():
        trigger = job.trigger
        every = _every(trigger.interval) if isinstance(trigger, IntervalTrigger) else str(trigger)
        next_run = getattr(job, "next_run_time", None)
        when = f"next {next_run.astimezone(AMS):%a %d %b %H:%M}" if next_run else "first run at start"
        lines.append(f"{job.name}: {every}; {when}")
    return lines


def _every(interval: timedelta) -> str:
    hours, minutes = divmod(int(interval.total_seconds() // 60), 60)
    if not hours:
        return f"every {minutes} min"
    return f"every {hours}h{minutes:02d}" if minutes else f"every {hours}h"


def run_scheduler(
    scheduler: BaseScheduler,
    stop: threading.Event | None = None,
    on_stop: Iterable[Callable[[], Any]] = (),
    signals: Iterable[int] = (signal.SIGTERM, signal.SIGINT),
) -> int:
    """Start the scheduler and block until SIGTERM/SIGINT (or `stop` is set); then stop gracefully.

    Running jobs are allowed to finish (their lock is released normally); `on_stop` callbacks
    (e.g. the calendar server's `stop`) run afterwards. Returns the exit code (0).
    """
    stop = stop or threading.Event()
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in signals:
            previous[signum] = signal.signal(signum, lambda number, frame: stop.set())
    try:
        scheduler.start()
        for line in describe(scheduler):
            log.info("scheduled: %s", line)
        while not stop.wait(timeout=1.0):
            pass
        log.info("stopping: waiting for running jobs to finish")
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)
        for callback in on_stop:
            try:
                callback()
            except Exception:  # stopping must finish even if one part fails
                log.exception("error while stopping")
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0
