"""Call-log reads at scale: keyset pages (first, deep, filtered) and the streamed CSV export.

    python bench/calllog.py                          # SQLite file, 1,000,000 calls
    python bench/calllog.py --url postgresql+psycopg://postgres@127.0.0.1:5432/test --rows 1000000

On PostgreSQL it creates (and drops) a scratch database next to the one named. Prints the
figures; asserts nothing about time."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from ivr import create_app  # noqa: E402
from ivr.migrate import upgrade_to_head  # noqa: E402
from models import ApiToken, Call, Candidate, User  # noqa: E402

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def scratch_database(url: str | None) -> tuple[str, Callable[[], None]]:
    if not url:
        path = Path(tempfile.mkdtemp()) / "bench.sqlite3"
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    name = f"ivr_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        make_url(url).set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return make_url(url).set(database=name).render_as_string(hide_password=False), drop


def fill(url: str, rows: int) -> tuple[str, int, int]:
    engine = create_engine(url)
    with engine.begin() as conn:
        recruiters = []
        for n in range(20):
            result = conn.execute(
                insert(User).values(
                    name=f"R{n}",
                    email=f"r{n}@example.com",
                    role="recruiter",
                    phone=f"+1500555{1000 + n:04d}",
                    is_active=True,
                    is_available=True,
                    created_at=T0,
                )  # fmt: skip
            )
            recruiters.append(result.inserted_primary_key[0])
        auditor = conn.execute(
            insert(User).values(
                name="Auditor",
                email="a@example.com",
                role="auditor",
                is_active=True,
                is_available=True,
                created_at=T0,
            )  # fmt: skip
        ).inserted_primary_key[0]
        candidates = [
            conn.execute(
                insert(Candidate).values(
                    name=f"C{n}",
                    phone=f"+1500556{n:04d}",
                    code=f"{200000 + n}",
                    owner_id=recruiters[n % 20],
                    stage="applied",
                    do_not_call=False,
                    created_at=T0,
                )  # fmt: skip
            ).inserted_primary_key[0]
            for n in range(2000)
        ]
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        token = ApiToken.issue(session, session.get(User, auditor), label="bench")
        session.commit()
    started = time.perf_counter()
    batch = 50_000
    statuses = ("completed", "completed", "completed", "no-answer", "busy")
    with engine.begin() as conn:
        for start in range(0, rows, batch):
            conn.execute(
                insert(Call),
                [
                    {
                        "direction": "outbound" if i % 4 else "inbound",
                        "recruiter_id": recruiters[i % 20],
                        "candidate_id": candidates[i % 2000],
                        "company_number": "+15005550006",
                        "status": statuses[i % 5],
                        "created_at": T0 + timedelta(seconds=i * 30),
                        "is_voicemail": i % 97 == 0,
                    }
                    for i in range(start, min(start + batch, rows))
                ],
            )
    print(f"filled {rows:,} calls in {time.perf_counter() - started:.1f} s")
    engine.dispose()
    return token, recruiters[3], candidates[7]


def timed(client, path: str, token: str, repeat: int = 20) -> tuple[float, dict]:
    samples, body = [], {}
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path, headers={"Authorization": f"Bearer {token}"})
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.json
    return statistics.median(samples), body


def export(client, path: str, token: str, *, trace: bool) -> tuple[int, int, int]:
    if trace:
        tracemalloc.start()
    response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    size = lines = 0
    for chunk in response.response:  # as a socket would: chunk by chunk
        size += len(chunk)
        lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
    response.close()
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    if trace:
        tracemalloc.stop()
    return lines - 1, size, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", help="a PostgreSQL URL (default: a SQLite file)")
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    url, drop = scratch_database(args.url)
    try:
        upgrade_to_head(url)
        token, recruiter_id, candidate_id = fill(url, args.rows)
        app = create_app(
            {"DATABASE_URL": url, "TELEPHONY": "simulator", "SECRET_KEY": "bench-secret-key-0123"}
        )
        client = app.test_client()
        backend = make_url(url).get_backend_name()
        print(f"backend {backend}, {args.rows:,} calls; median of 20 requests, 50 calls a page")

        ms, body = timed(client, "/api/v1/calls", token)
        print(f"first page, newest first:            {ms:7.1f} ms")
        cursor = body["next_cursor"]
        for _ in range(200):  # walk 200 pages in: 10,000 rows deep
            _, page = timed(client, f"/api/v1/calls?cursor={cursor}", token, repeat=1)
            cursor = page["next_cursor"]
        ms, _ = timed(client, f"/api/v1/calls?cursor={cursor}", token)
        print(f"page 201 (10,000 rows deep):         {ms:7.1f} ms")
        ms, _ = timed(client, f"/api/v1/calls?recruiter_id={recruiter_id}", token)
        print(f"one recruiter's calls:               {ms:7.1f} ms")
        ms, _ = timed(client, f"/api/v1/calls?candidate_id={candidate_id}", token)
        print(f"one candidate's history:             {ms:7.1f} ms")
        ms, _ = timed(
            client, "/api/v1/calls?since=2025-03-01&until=2025-03-02&direction=inbound", token
        )
        print(f"one day, inbound only:               {ms:7.1f} ms")
        ms, _ = timed(client, "/api/v1/calls?has_voicemail=true&status=completed", token, repeat=5)
        print(f"voicemails (unindexed flag):         {ms:7.1f} ms")

        started = time.perf_counter()
        rows, size, _ = export(client, "/api/v1/calls.csv", token, trace=False)
        seconds = time.perf_counter() - started
        print(f"CSV export of everything: {rows:,} rows, {size / 1e6:.0f} MB in {seconds:.1f} s "
              f"({rows / seconds:,.0f} rows/s)")  # fmt: skip
        # Memory, under tracemalloc (slow, so on slices): it must not grow with the rows.
        for name, query in (("one recruiter", f"recruiter_id={recruiter_id}"),
                            ("all calls", "")):  # fmt: skip
            if not query and args.rows > 200_000:
                newest = T0 + timedelta(seconds=30 * (args.rows - 200_000))
                query = "since=" + newest.strftime("%Y-%m-%dT%H:%M:%SZ")
                name = "newest 200,000"
            rows, _, peak = export(client, f"/api/v1/calls.csv?{query}", token, trace=True)
            print(f"  {name:>15}: {rows:>9,} rows, peak Python memory {peak / 1e6:5.1f} MB")
        app.extensions["db_engine"].dispose()
    finally:
        drop()


if __name__ == "__main__":
    main()
