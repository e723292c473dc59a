"""The worker's every-minute jobs beside reconciliation: the webhook spool is replayed, the
chains' heads are published when they move, and old webhook answers are forgotten."""

from __future__ import annotations

import json

import pytest

from ivr import create_app
from ivr.tasks import jobs, run_now
from models import Call
from tests.fixtures.app import base_env
from tests.fixtures.database import Outage
from tests.fixtures.twilio import COMPANY_NUMBER

pytestmark = pytest.mark.expected_errors  # the outage test logs its failed webhook


def test_every_minute_the_worker_also_replays_publishes_and_purges():
    assert set(jobs.PERIODIC) == {"reconcile", "replay_spool", "publish_heads", "purge_deliveries"}


def test_publish_heads_writes_when_the_heads_move_and_not_otherwise(
    database_url, tmp_path, session, make_user
):
    target = tmp_path / "heads.jsonl"
    app = create_app(base_env(database_url, AUDIT_HEADS_TARGET=str(target)))
    recruiter = make_user()

    run_now(app, "publish_heads")
    run_now(app, "publish_heads")  # nothing moved: nothing written
    session.add(
        Call(direction="outbound", recruiter_id=recruiter.id, company_number=COMPANY_NUMBER)
    )
    session.commit()
    run_now(app, "publish_heads")

    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert len(lines) == 2
    assert lines[0]["heads"]["call_seals"] != lines[1]["heads"]["call_seals"]
    app.extensions["db_engine"].dispose()


def test_the_spool_is_replayed_by_the_worker(app, twilio_post, session, make_user):
    recruiter = make_user()
    call = Call(direction="outbound", recruiter_id=recruiter.id, company_number=COMPANY_NUMBER,
                status="in-progress", parent_sid="CA" + "5" * 32,
                active_recruiter_id=recruiter.id)  # fmt: skip
    session.add(call)
    session.commit()
    outage = Outage(app.extensions["db_engine"])
    outage.start()
    final = {"CallSid": call.parent_sid, "CallStatus": "completed", "SequenceNumber": "3"}
    twilio_post(f"/voice/outbound/{call.id}/status", final)
    outage.end()

    run_now(app, "replay_spool")

    session.expire_all()
    assert session.get(Call, call.id).status == "completed"
    assert app.extensions["spool"].counters()["replayed"] == 1
