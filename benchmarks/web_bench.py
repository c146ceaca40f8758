"""Benchmark of the werkplek: p50/p95 page times for Vandaag, a dossier page and searches on a year of Kamer data.

    python benchmarks/web_bench.py                          # a full year, 50 dossiers, 20 rounds
    python benchmarks/web_bench.py --cache /tmp/bb          # reuse briefing_bench's seeded databases

The history is briefing_bench's synthetic, seeded year (about 7,000 activities, 25,000 zaken,
35,000 documents and 15,000 press articles, 50 dossiers matched by the real engine; see
benchmarks/briefing_bench.py), on a copy of its database. Each page is requested through the
whole ASGI stack (Starlette's TestClient: session cookie, CSRF, templates) by a logged-in
redacteur; after one warm-up request per page, `--rounds` rounds request every page in turn
(warm: the page cache holds what was built, as between two fetches), then `--cold-rounds`
rounds with the cache emptied before each request (the first reader after a fetch when the
background warmer of `monitor web` has not run yet).
Targets of the werkplek issue: p95 < 200 ms for pages, < 500 ms for a search. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import briefing_bench  # noqa: E402
from monitor.store import Store  # noqa: E402
from monitor.timeutil import iso, parse_instant  # noqa: E402
from monitor.web import accounts  # noqa: E402
from monitor.web.app import create_app  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient  # noqa: E402

PASSWORD = "bench-wachtwoord"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", type=float, default=1.0, help="history as a fraction of a year (default 1)")
    parser.add_argument("--rounds", type=int, default=20, help="timed rounds with the page cache (default 20)")
    parser.add_argument("--cold-rounds", type=int, default=5, help="timed rounds with the cache emptied before each request (default 5)")
    parser.add_argument("--now", default="2026-12-01T07:00")
    parser.add_argument("--p-dossier", type=float, default=0.075)
    parser.add_argument("--analyze", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help="directory of briefing_bench's seeded databases (made there when missing)")
    args = parser.parse_args(argv)
    now = parse_instant(args.now)
    config = briefing_bench.make_config(args.seed)
    temporary = tempfile.mkdtemp(prefix="web_bench-")
    workdir = args.cache or Path(temporary)
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        seeded = briefing_bench.prepare(args, config, now, args.scale, workdir)
        print(f"web_bench: history ready in {time.perf_counter() - started:.1f} s ({'cached' if seeded.info.get('cached') else 'seeded'})")
        db = Path(temporary) / "werkplek.db"
        briefing_bench.copy_db(seeded.path, db)
        store = Store(db)
        stats = {r["kind"]: r["n"] for r in store.db.query("SELECT kind, COUNT(*) AS n FROM items GROUP BY kind")}
        busiest = next(iter(store.db.query("SELECT dossier, COUNT(*) AS n FROM matches GROUP BY dossier ORDER BY n DESC LIMIT 1")))
        accounts.add_user(store.db, "bench", "redacteur", PASSWORD, None, iso(now) or "")
        store.close()
        print(f"items: {stats}; {len(config.rules.dossiers)} dossiers; busiest dossier {busiest['dossier']} ({busiest['n']} matches)")
        app = create_app(temporary, db, clock=lambda: now, secret=b"bench", config=config)
        dossier = busiest["dossier"]
        kern = config.rules.dossiers[dossier].rules[0].query
        pages = {
            "Vandaag": "/",
            f"dossier {dossier}": f"/dossier/{dossier}",
            "zoeken: kern-regel": "/zoeken?" + __import__("urllib.parse", fromlist=["urlencode"]).urlencode({"q": kern}),
            "zoeken: tekort* AND gemeente*": "/zoeken?q=tekort*+AND+gemeente*",
            "zoeken: motie + dossier + soort": f"/zoeken?q=motie&dossier={dossier}&soort=zaak",
        }
        times: dict[str, list[float]] = {name: [] for name in pages}
        cold: dict[str, list[float]] = {name: [] for name in pages}
        werkplek = app.state.werkplek
        with TestClient(app) as client:
            login = client.get("/login")
            token = re.search(r'name="csrf" value="([^"]+)"', login.text).group(1)
            assert client.post("/login", data={"csrf": token, "naam": "bench", "wachtwoord": PASSWORD}).url.path == "/"
            sizes = {}
            for name, path in pages.items():  # warm-up: compiled rules, caches, a first match_pending
                answer = client.get(path)
                assert answer.status_code == 200, (name, answer.status_code)
                sizes[name] = (len(answer.text), answer.text.count('class="block'))
            for _ in range(args.rounds):
                for name, path in pages.items():
                    started = time.perf_counter()
                    client.get(path)
                    times[name].append(time.perf_counter() - started)
            # Cold: the first reader after a fetch (the cache emptied), without the background warmer.
            for _ in range(args.cold_rounds):
                for name, path in pages.items():
                    werkplek.cache.clear()
                    started = time.perf_counter()
                    client.get(path)
                    cold[name].append(time.perf_counter() - started)
        print(f"\npage times (ms): warm = {args.rounds} rounds with the page cache (data unchanged since the last build, as between two fetches);")
        print(f"cold = {args.cold_rounds} rounds with the cache emptied before each request (the first reader after a fetch, were there no warmer)")
        print(f"  {'page':34} {'p50':>6} {'p95':>6} {'max':>6} | {'cold p50':>8} {'p95':>6}  {'KB':>4} {'blocks':>6}  target (warm p95)")
        verdicts = []
        for name, values in times.items():
            p50, p95 = statistics.median(values) * 1000, percentile(values, 0.95) * 1000
            c50, c95 = statistics.median(cold[name]) * 1000, percentile(cold[name], 0.95) * 1000
            target = 500 if name.startswith("zoeken") else 200
            verdicts.append(p95 < target)
            print(f"  {name:34} {p50:6.0f} {p95:6.0f} {max(values) * 1000:6.0f} | {c50:8.0f} {c95:6.0f}  {sizes[name][0] / 1000:4.0f} {sizes[name][1]:6}  p95 < {target} ms {'ok' if p95 < target else 'MISSED'}")
        print(f"SUMMARY: {'all targets met (warm)' if all(verdicts) else 'some targets missed'}; cold Vandaag p50 {statistics.median(cold['Vandaag']) * 1000:.0f} ms")
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
