"""Workers killed mid-flight: one-click calls through gunicorn while its workers are killed with
SIGKILL, then the worker's reconciliation; how many calls and recruiters are left stuck.

    python bench/sigkill.py --url postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        --flows 150 --kills 3 --seconds 45

The simulator plays Twilio in this process; gunicorn (4 workers) serves the app on a scratch
database and Huey's consumer runs the task queue. While the flows run, a gunicorn worker is
killed with SIGKILL every seconds/kills: requests it was answering are cut off, so Twilio's
callbacks to it are lost, as with the real thing. Afterwards `flask reconcile` runs (what the
worker does every minute) and the script prints: flows, webhooks the network saw fail,
calls whose row disagrees with how their leg ended, recruiters still holding a line, and
whether the chain verifies. Asserts nothing about time."""

from __future__ import annotations

import argparse
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from anywhere

from sqlalchemy import create_engine, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.calllog import scratch_database  # noqa: E402
from ivr.migrate import upgrade_to_head  # noqa: E402
from models import ApiToken, Call, CallEvent, Candidate, User  # noqa: E402
from models.chain import verify_chain  # noqa: E402
from simulator import Simulator  # noqa: E402
from simulator.app import create_simulator_app  # noqa: E402
from simulator.server import serve_in_thread  # noqa: E402

ACCOUNT_SID = "AC" + "9" * 32
COMPANY = "+15005550006"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def arrange(url: str, flows: int) -> list[tuple[str, int, str, str]]:
    """(token, candidate id, recruiter phone, candidate phone) per flow."""
    engine = create_engine(url)
    arranged = []
    with Session(engine) as session:
        for n in range(flows):
            recruiter = User(
                name=f"Soak Recruiter {n}", email=f"soak{n}@example.com", role="recruiter",
                phone=f"+1415555{n:04d}", password_hash="!",
            )  # fmt: skip
            session.add(recruiter)
            session.flush()
            candidate = Candidate(name=f"Soak Candidate {n}", phone=f"+1212555{n:04d}",
                                  owner_id=recruiter.id, code=f"{800000 + n}")  # fmt: skip
            session.add(candidate)
            session.flush()
            token = ApiToken.issue(session, recruiter, "soak")
            arranged.append((token, candidate.id, recruiter.phone or "", candidate.phone))
        session.commit()
    engine.dispose()
    return arranged


def play(sim: Simulator, base: str, flow: tuple[str, int, str, str]) -> str:
    """One call as a recruiter makes it; returns how far it got ("done" or where it stopped)."""
    token, candidate_id, recruiter_phone, candidate_phone = flow
    try:
        headers = {"Authorization": f"Bearer {token}"}
        body = {"candidate_id": candidate_id}
        placed = requests.post(f"{base}/api/v1/calls", json=body, headers=headers, timeout=30)
        if placed.status_code not in (201, 202):
            return f"click {placed.status_code}"
        leg = sim.wait_for(to=recruiter_phone, waiting_for_input="answer", timeout=20)
        sim.answer(leg.sid)
        sim.wait_for(sid=leg.sid, waiting_for_input="digits", timeout=20)
        sim.press(leg.sid, "1")
        theirs = sim.wait_for(to=candidate_phone, waiting_for_input="answer", timeout=20)
        sim.answer(theirs.sid)
        sim.wait_for(sid=leg.sid, waiting_for_input="bridge", timeout=20)
        time.sleep(random.uniform(0.5, 2.0))  # they talk (real time: the kills land mid-call)
        sim.hangup(theirs.sid)
        sim.wait_for(sid=leg.sid, waiting_for_input="digits", timeout=20)
        sim.press(leg.sid, "1")
        sim.hangup(leg.sid)
        return "done"
    except Exception as exc:  # noqa: BLE001  (a flow cut off by a kill is a figure, not a crash)
        return type(exc).__name__


def kill_workers(master: int, kills: int, seconds: float, killed: list[int]) -> None:
    for _ in range(kills):
        time.sleep(seconds / kills)
        children = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
        pids = [int(p) for p in children.stdout.split()]
        if pids:
            victim = random.choice(pids)
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="", help="database URL (default: a SQLite file)")
    parser.add_argument("--flows", type=int, default=150)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=45.0)
    args = parser.parse_args()
    random.seed(7)

    url, drop = scratch_database(args.url or None)
    token = "soak-auth-token-" + secrets.token_hex(8)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    sim = Simulator(ACCOUNT_SID, token, {})
    sim_handle = serve_in_thread(create_simulator_app(sim))
    sim.base_url = sim_handle.base_url
    sim.numbers[COMPANY] = (f"{base}/voice/incoming", f"{base}/voice/fallback")
    sim.status_callbacks[COMPANY] = f"{base}/voice/status"
    work = tempfile.mkdtemp(prefix="ivr-soak-")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": token,
        "TWILIO_PHONE_NUMBER": COMPANY,
        "TELEPHONY": "simulator",
        "TWILIO_API_BASE_URL": sim.base_url,
        "PUBLIC_BASE_URL": base,
        "SECRET_KEY": secrets.token_hex(16),
        "IVR_DEV_MODE": "1",
        "BUSINESS_HOURS": "00:00-24:00",
        "BUSINESS_DAYS": "mon-sun",
        "CALLING_HOURS": "00:00-24:00",
        "CALLING_DAYS": "mon-sun",
        "TASKS_DB": f"{work}/tasks.sqlite3",
        "SPOOL_PATH": f"{work}/spool.sqlite3",
        "RECONCILE_AFTER_SECONDS": "0",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "4",
    }
    procs: list[subprocess.Popen[bytes]] = []
    try:
        upgrade_to_head(url)
        flows = arrange(url, args.flows)
        log = open(f"{work}/server.log", "wb")  # noqa: SIM115
        gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-w", "4", "wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=log,
        )  # fmt: skip
        procs.append(gunicorn)
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "ivr", "worker", "--no-periodic"],
            cwd=ROOT, env=env, stdout=log, stderr=log,
        )  # fmt: skip
        procs.append(worker)
        for _ in range(100):
            try:
                if requests.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        killed: list[int] = []
        killer = threading.Thread(
            target=kill_workers, args=(gunicorn.pid, args.kills, args.seconds, killed)
        )
        started = time.perf_counter()
        killer.start()
        with ThreadPoolExecutor(max_workers=30) as pool:
            results = list(pool.map(lambda flow: play(sim, base, flow), flows))
        killer.join()
        seconds = time.perf_counter() - started
        for leg in sim.legs():  # whoever is still on the line gives up and hangs up
            if not leg.ended:
                try:
                    (sim.no_answer if leg.state == "ringing" else sim.hangup)(leg.sid)
                except Exception:  # noqa: BLE001, S110  (a leg that ended meanwhile)
                    pass
        time.sleep(3)  # their status callbacks arrive (or are lost with a killed worker)
        engine = create_engine(url)

        def stuck() -> tuple[int, int]:
            legs = {leg.sid: leg for leg in sim.legs()}
            with Session(engine) as session:
                calls = session.scalars(select(Call)).all()
                wrong = sum(
                    1 for c in calls
                    if c.parent_sid in legs and legs[c.parent_sid].ended
                    and c.status != legs[c.parent_sid].state
                )  # fmt: skip
                locked = sum(1 for c in calls if c.active_recruiter_id is not None)
            return wrong, locked

        before = stuck()
        subprocess.run([sys.executable, "-m", "flask", "--app", "ivr", "reconcile"],
                       cwd=ROOT, env=env, check=True, capture_output=True)  # fmt: skip
        after = stuck()
        with Session(engine) as session:
            chain_ok = verify_chain(session, CallEvent).ok
            holding = select(Call).where(Call.active_recruiter_id.is_not(None))
            for call in session.scalars(holding):
                events = select(CallEvent.kind).where(CallEvent.call_id == call.id)
                kinds = session.scalars(events.order_by(CallEvent.seq)).all()
                leg = next((leg for leg in sim.legs() if leg.sid == call.parent_sid), None)
                print(
                    f"still holding a line: call {call.id} {call.status} "
                    f"unconfirmed={call.unconfirmed} leg={leg.state if leg else None} {kinds}"
                )
        engine.dispose()
        done = sum(1 for r in results if r == "done")
        print(f"flows {len(flows)} in {seconds:.1f} s, {len(killed)} workers killed; "
              f"{done} flows played to the end, {len(flows) - done} cut off by a kill")  # fmt: skip
        print(f"webhooks the network saw fail    {len(sim.errors)}")
        print(f"before reconciliation: calls disagreeing with their leg {before[0]}, "
              f"recruiters holding a line {before[1]}")  # fmt: skip
        print(f"after reconciliation:  calls disagreeing with their leg {after[0]}, "
              f"recruiters holding a line {after[1]}")  # fmt: skip
        print(f"chain verifies                   {'yes' if chain_ok else 'NO'}")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=20)
        sim.close()
        sim_handle.shutdown()
        drop()


if __name__ == "__main__":
    main()
