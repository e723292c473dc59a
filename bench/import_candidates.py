"""Candidate import at scale: a 100,000-row CSV (a few bad rows, some updates) through the
`flask import-candidates` code path, then 200,000 rows to show memory does not grow with the
file.

    python bench/import_candidates.py                       # SQLite file
    python bench/import_candidates.py --url postgresql+psycopg://postgres@127.0.0.1:5432/test

Each run imports into a fresh scratch database (on PostgreSQL one created next to the one
named, and dropped). Prints rows/s, seconds, peak RSS and peak Python memory; asserts nothing
about time."""

from __future__ import annotations

import argparse
import csv
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from sqlalchemy import create_engine, func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.calllog import scratch_database  # noqa: E402
from ivr import create_app  # noqa: E402
from ivr.migrate import upgrade_to_head  # noqa: E402
from models import CallEvent, Candidate, User  # noqa: E402
from models.chain import verify_chain  # noqa: E402

AREAS = ("212", "415", "312", "617")
STAGES = ("applied", "screening", "interviewing", "offer")
RECRUITERS = 20
EXISTING = 5_000  # candidates in the database before the big file: its rows 0..4,999 update them


def phone(n: int) -> str:
    """A distinct valid US number per n, written the way people type them."""
    m = n // len(AREAS)
    return f"({AREAS[n % len(AREAS)]}) {200 + m // 10_000}-{m % 10_000:04d}"


def write_csv(path: Path, rows: int, *, first: int = 0, stage_shift: int = 0) -> int:
    """Rows first..first+rows-1; every 1,000th row is bad (a phone, a stage or an owner)."""
    bad = 0
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["name", "phone", "email", "owner_email", "stage", "timezone",
                         "external_id", "source", "notes"])  # fmt: skip
        for n in range(first, first + rows):
            number, stage, owner = phone(n), STAGES[(n + stage_shift) % 4], f"r{n % RECRUITERS}"
            if n % 1000 == 999:
                bad += 1
                kind = (n // 1000) % 3
                number = "555-01" if kind == 0 else number
                stage = "hired!" if kind == 1 else stage
                owner = "nobody" if kind == 2 else owner
            writer.writerow([f"Person {n} Example", number, f"person{n}@example.net",
                             f"{owner}@example.com", stage, "", f"ats-{n}", "greenhouse",
                             "from the ATS export"])  # fmt: skip
    return bad


def fresh_app(url: str):
    upgrade_to_head(url)
    app = create_app({"DATABASE_URL": url, "TELEPHONY": "simulator",
                      "SECRET_KEY": "bench-secret-key-0123"})  # fmt: skip
    with Session(app.extensions["db_engine"]) as session:
        session.add(User(name="Admin", email="admin@example.com", role="admin"))
        for n in range(RECRUITERS):
            session.add(User(name=f"R{n}", email=f"r{n}@example.com", role="recruiter",
                             phone=f"+1500555{1000 + n:04d}"))  # fmt: skip
        session.commit()
    return app


def run(app, path: Path, *, trace: bool) -> tuple[float, str, int]:
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    result = app.test_cli_runner().invoke(args=["import-candidates", str(path)])
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    if trace:
        tracemalloc.stop()
    assert result.exit_code == 0, result.output
    return seconds, result.output.strip().splitlines()[-1], peak


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def one(url_arg: str | None, rows: int, trace: bool) -> None:
    """One import in this process, so its peak RSS is the import's own."""
    work = Path(tempfile.mkdtemp())
    seed, big = work / "existing.csv", work / "big.csv"
    write_csv(seed, EXISTING)
    bad = write_csv(big, rows, stage_shift=1)  # its first EXISTING rows: a new stage each
    url, drop = scratch_database(url_arg)
    try:
        app = fresh_app(url)
        run(app, seed, trace=False)
        seconds, summary, peak = run(app, big, trace=trace)
        engine = create_engine(url)
        with Session(engine) as session:
            count = session.scalar(select(func.count()).select_from(Candidate))
            chain = "verifies" if verify_chain(session, CallEvent).ok else "is BROKEN"
        engine.dispose()
        app.extensions["db_engine"].dispose()
    finally:
        drop()
        seed.unlink()
        big.unlink()
    backend = "postgresql" if url_arg else "sqlite"
    if trace:
        print(f"  {backend} {rows:>7,} rows under tracemalloc: {seconds:5.1f} s, "
              f"peak Python memory {peak / 1e6:5.1f} MB", flush=True)  # fmt: skip
        return
    rate = rows / seconds
    print(f"{backend} {rows:>7,} rows ({bad} bad, {EXISTING:,} updates): {seconds:5.1f} s, "
          f"{rate:6,.0f} rows/s, peak RSS {peak_rss_mb():4.0f} MB", flush=True)  # fmt: skip
    print(f"  {summary}; {count:,} candidates; the chain {chain}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", help="a PostgreSQL URL (default: a SQLite file)")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc runs")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child: one import
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(args.url, args.one, args.trace)
        return
    for rows in (args.rows, 2 * args.rows):
        for trace in (False,) if args.no_trace else (False, True):
            command = [sys.executable, __file__, "--one", str(rows)]
            command += ["--trace"] if trace else []
            command += ["--url", args.url] if args.url else []
            subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
