"""The scheduler: working-day digest trigger, per-interval fetch jobs, the shared lock, graceful stop."""

from __future__ import annotations

import logging
import multiprocessing
import subprocess
import sys
import threading
import time
from datetime import datetime

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from monitor.config import DigestConfig, SourceConfig, SourcesConfig
from monitor.scheduler import LockBusy, WorkdayTrigger, build_scheduler, describe, interval_groups, locked, run_lock, run_scheduler
from monitor.timeutil import AMS


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=AMS)


def sources(*entries: tuple[str, int, bool], time_of_day: str = "07:00") -> SourcesConfig:
    return SourcesConfig(
        sources=[SourceConfig(id=i, kind="feed", url=f"https://{i}.example/", every=every, enabled=enabled) for i, every, enabled in entries],
        digest=DigestConfig(time=time_of_day),
    )


@pytest.mark.parametrize(
    "now, expected",
    [
        ("2026-12-01T06:00", "2026-12-01T07:00"),  # a Tuesday: today
        ("2026-12-01T07:00:01", "2026-12-02T07:00"),  # just missed: tomorrow
        ("2026-12-04T08:00", "2026-12-07T07:00"),  # Friday after 07:00: Monday
        ("2026-12-24T07:30", "2026-12-28T07:00"),  # Christmas, then the weekend
        ("2026-12-31T08:00", "2027-01-04T07:00"),  # Nieuwjaarsdag, then the weekend
        ("2027-03-26T07:30", "2027-03-30T07:00"),  # Tweede Paasdag on Monday 29 March
        ("2027-05-04T08:00", "2027-05-07T07:00"),  # Bevrijdingsdag (every year, not only in lustrum years), then Hemelvaartsdag
    ],
)
def test_digest_fires_on_working_days_only(now, expected):
    trigger = WorkdayTrigger(7, 0)
    fire = trigger.get_next_fire_time(None, at(now))
    assert fire == at(expected)
    assert fire.utcoffset() == at(expected).utcoffset()  # 07:00 Amsterdam, in winter and in summer time


def test_one_fetch_job_per_interval_and_a_digest_job():
    config = sources(("tk", 900, True), ("skipr", 1800, True), ("zorgvisie", 1800, True), ("oud", 1800, False), time_of_day="06:45")
    assert interval_groups(config) == {900: ["tk"], 1800: ["skipr", "zorgvisie"]}
    called: list[list[str]] = []
    scheduler = build_scheduler(config, called.append, lambda: None, "/tmp/unused.lock", scheduler=BackgroundScheduler(timezone=AMS), now=at("2026-12-01T06:00"))
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"fetch-900s", "fetch-1800s", "digest"}
    assert jobs["fetch-900s"].trigger.interval.total_seconds() == 900
    assert str(jobs["digest"].trigger) == "working days at 06:45"
    for job in jobs.values():
        assert job.coalesce and job.max_instances == 1  # missed runs collapse into one; never two at once
    # Fetch jobs start right away (staggered), not one interval after start.
    assert jobs["fetch-900s"].next_run_time == at("2026-12-01T06:00")
    assert jobs["fetch-1800s"].next_run_time == at("2026-12-01T06:00:05")
    lines = describe(scheduler)
    assert any(line.startswith("fetch skipr, zorgvisie:") for line in lines)


def test_no_digest_job_without_a_digest():
    scheduler = build_scheduler(sources(("tk", 900, True)), lambda ids: None, None, "/tmp/unused.lock", scheduler=BackgroundScheduler(timezone=AMS))
    assert [job.id for job in scheduler.get_jobs()] == ["fetch-900s"]


def test_a_job_waits_for_the_lock_and_is_skipped_when_it_stays_busy(tmp_path, caplog):
    lock = tmp_path / "monitor.db.lock"
    ran: list[str] = []
    job = locked("fetch tk", lambda: ran.append("tk"), lock, wait=0.3)
    with run_lock(lock, purpose="monitor run"):
        with caplog.at_level(logging.WARNING, logger="monitor.scheduler"):
            assert job() is False
    assert ran == []
    assert "skipped" in caplog.text and "monitor run (pid" in caplog.text
    assert job() is True and ran == ["tk"]  # free again: the job runs


def test_a_failing_job_is_logged_and_does_not_raise(tmp_path, caplog):
    def broken() -> None:
        raise RuntimeError("kapot")

    with caplog.at_level(logging.ERROR, logger="monitor.scheduler"):
        assert locked("digest", broken, tmp_path / "l.lock")() is False
    assert "digest: failed" in caplog.text and "kapot" in caplog.text


def _hold_lock(path: str, ready, release) -> None:  # runs in a child process
    with run_lock(path, purpose="monitor schedule: fetch tk"):
        ready.set()
        release.wait(10)


def test_lock_is_exclusive_across_processes_and_names_its_holder(tmp_path):
    path = str(tmp_path / "monitor.db.lock")
    context = multiprocessing.get_context("spawn")
    ready, release = context.Event(), context.Event()
    child = context.Process(target=_hold_lock, args=(path, ready, release))
    child.start()
    try:
        assert ready.wait(20)
        with pytest.raises(LockBusy, match=r"in use by monitor schedule: fetch tk \(pid \d+"):
            with run_lock(path, wait=0.2):
                pass
    finally:
        release.set()
        child.join(10)
    with run_lock(path, wait=1):  # released when its holder ends
        pass


def test_lock_held_by_a_killed_process_is_released(tmp_path):
    path = str(tmp_path / "monitor.db.lock")
    context = multiprocessing.get_context("spawn")
    ready, release = context.Event(), context.Event()
    child = context.Process(target=_hold_lock, args=(path, ready, release))
    child.start()
    assert ready.wait(20)
    child.kill()  # SIGKILL: no cleanup code runs
    child.join(10)
    with run_lock(path, wait=2):
        pass


def test_graceful_stop_lets_the_running_job_finish(tmp_path):
    lock = tmp_path / "monitor.db.lock"
    stop = threading.Event()
    events: list[str] = []

    def fetch(ids: list[str]) -> None:
        events.append("started")
        stop.set()  # SIGTERM arrives while the job is running
        time.sleep(0.5)
        events.append("finished")

    scheduler = build_scheduler(sources(("tk", 900, True)), fetch, None, lock, now=datetime.now(AMS))
    stopped: list[str] = []
    assert run_scheduler(scheduler, stop=stop, on_stop=[lambda: stopped.append("calendar")], signals=()) == 0
    assert events == ["started", "finished"]
    assert stopped == ["calendar"]
    assert not scheduler.running
    with run_lock(lock, wait=0):  # the job released the lock on its way out
        pass


def test_describe_says_interval_and_next_run_in_words():
    config = SourcesConfig(sources=[SourceConfig(id="tk", kind="tk", url="https://x.example", every=3600 + 30 * 60)])
    scheduler = build_scheduler(config, lambda ids: None, None, "/tmp/unused.lock")
    [line] = describe(scheduler)
    assert line.startswith("fetch tk: every 1h30; ")


def test_without_fcntl_monitor_still_runs_and_locks(tmp_path):
    """A platform without fcntl (Windows without its own locking, or a trimmed Python): filelock's
    portable lock takes over and a write command works."""
    config = tmp_path / "cfg"
    config.mkdir()
    (config / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    (config / "rules.yaml").write_text("dossiers:\n  jeugd:\n    title: Jeugdzorg\n    rules:\n      - name: kern\n        query: jeugdzorg\n", encoding="utf-8")
    script = (
        "import sys\n"
        "sys.modules['fcntl'] = None  # importing it now fails, as where it does not exist\n"
        "from monitor.cli import main\n"
        "import filelock\n"
        "assert filelock.FileLock is not filelock.UnixFileLock, filelock.FileLock\n"
        f"sys.exit(main(['run', '--config', {str(config)!r}, '-q', '--now', '2026-12-01T08:00', '--output', {str(tmp_path / 'r.txt')!r}]))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "LOBBYRAPPORT" in (tmp_path / "r.txt").read_text(encoding="utf-8")
