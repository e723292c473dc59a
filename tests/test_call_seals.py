"""The calls row is sealed too: what the log shows of a call (status, outcome, times) is chained
each time it changes, and `audit verify` holds every call to its newest seal. `--expect-head`
covers every chain, so a cut-off tail of access records is caught like one of events."""

from __future__ import annotations

import json

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from ivr.migrate import alembic_config
from models import AccessRecord, Call, CallSeal
from tests.fixtures.twilio import COMPANY_NUMBER


def verify(app, *args):
    return app.test_cli_runner().invoke(args=["audit", "verify", *args])


def heads(app) -> dict[str, str]:
    output = app.test_cli_runner().invoke(args=["audit", "heads"]).output
    return dict(line.split("=", 1) for line in output.splitlines())


def make_call(session, make_user) -> Call:
    recruiter = make_user()
    call = Call(direction="outbound", recruiter_id=recruiter.id, company_number=COMPANY_NUMBER)
    session.add(call)
    session.commit()
    return call


def seals_of(session, call) -> list[CallSeal]:
    return session.scalars(
        select(CallSeal).where(CallSeal.call_id == call.id).order_by(CallSeal.seq)
    ).all()


def test_a_call_is_sealed_when_it_is_created_and_each_time_what_the_log_shows_changes(
    session, make_user
):
    call = make_call(session, make_user)
    call.status = "in-progress"
    session.commit()
    call.status, call.disposition = "completed", "connected"
    session.commit()

    states = [(s.state["status"], s.state["disposition"]) for s in seals_of(session, call)]
    assert states == [("queued", None), ("in-progress", None), ("completed", "connected")]


def test_changing_a_call_twice_in_one_transaction_seals_it_once(app, make_user, session):
    call = make_call(session, make_user)
    with Session(app.extensions["db_engine"]) as work:
        row = work.get(Call, call.id)
        row.status = "ringing"
        work.flush()
        row.status = "in-progress"
        work.commit()

    assert [s.state["status"] for s in seals_of(session, call)] == ["queued", "in-progress"]


def test_verify_holds_every_call_to_its_seal(app, session, make_user):
    make_call(session, make_user)

    result = verify(app)

    assert result.exit_code == 0, result.output
    assert "ok, every call matches its newest seal" in result.output
    assert "ok, 1 call seals" in result.output


def test_verify_names_a_call_edited_behind_the_applications_back(app, session, make_user):
    call = make_call(session, make_user)
    session.execute(
        text("UPDATE calls SET status = 'completed', duration = 300 WHERE id = :id"),
        {"id": call.id},
    )
    session.commit()

    result = verify(app)

    assert result.exit_code == 1
    assert f"BROKEN calls: call {call.id}: duration, status differ from its seal" in result.output


def test_expect_head_catches_the_newest_access_record_deleted(app, session, make_user):
    auditor = make_user("auditor")
    for n in range(3):
        session.add(AccessRecord(user_id=auditor.id, action="web.log.view", filters={"n": n}))
        session.commit()
    recorded = heads(app)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE access_records DISABLE TRIGGER USER"))
    else:
        session.execute(text("DROP TRIGGER access_records_no_delete"))
    session.execute(text("DELETE FROM access_records WHERE seq = 3"))
    session.commit()

    plain = verify(app)
    result = verify(app, *(f"--expect-head={t}={h}" for t, h in recorded.items()))

    assert plain.exit_code == 0, "without a head kept elsewhere, a cut-off tail is invisible"
    assert result.exit_code == 1
    assert "BROKEN access_records: head is" in result.output
    assert "rows were removed from the end" in result.output


def test_heads_names_every_chain(app, session, make_user):
    make_call(session, make_user)

    assert sorted(heads(app)) == ["access_records", "call_events", "call_seals"]


def test_an_unknown_chain_in_expect_head_is_refused(app):
    result = verify(app, "--expect-head", "calls=abc")

    assert result.exit_code == 2
    assert "'calls' is not a chain" in result.output


def test_migration_seals_the_calls_that_exist(database_url):
    config = alembic_config(database_url)
    before_seals = ScriptDirectory.from_config(config).get_revision("0011").down_revision
    command.downgrade(config, before_seals)
    engine = create_engine(database_url)
    with engine.begin() as conn:
        for status in ("completed", "no-answer"):
            conn.execute(
                text("INSERT INTO calls (direction, company_number, status, is_voicemail, "
                     "created_at, ended_at) VALUES ('outbound', '+15005550006', :s, true, "
                     "'2026-11-01 10:00:00', '2026-11-01 10:05:00')"),
                {"s": status},
            )  # fmt: skip

    command.upgrade(config, "head")

    from models.seal import unsealed_changes

    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(CallSeal)) == 2
        assert unsealed_changes(session) == []
    engine.dispose()


def test_publish_heads_appends_a_line_an_auditor_can_verify_against(
    app_env, tmp_path, session, make_user
):
    from ivr import create_app

    target = tmp_path / "heads" / "published.jsonl"
    app = create_app({**app_env, "AUDIT_HEADS_TARGET": str(target)})
    make_call(session, make_user)
    runner = app.test_cli_runner()

    first = runner.invoke(args=["audit", "publish-heads"])
    make_call(session, make_user)
    runner.invoke(args=["audit", "publish-heads"])

    assert first.exit_code == 0, first.output
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert len(lines) == 2
    assert lines[0]["heads"] != lines[1]["heads"]
    newest = [f"--expect-head={t}={h}" for t, h in lines[1]["heads"].items()]
    assert verify(app, *newest).exit_code == 0
    app.extensions["db_engine"].dispose()


def test_publish_heads_without_a_target_says_what_to_set(app):
    result = app.test_cli_runner().invoke(args=["audit", "publish-heads"])

    assert result.exit_code == 2
    assert "AUDIT_HEADS_TARGET is not set" in result.output


def test_publish_heads_posts_to_an_http_target(app_env, session, make_user):
    from flask import Flask, request

    from ivr import create_app
    from simulator.server import serve_in_thread

    received = []
    receiver = Flask("receiver")

    @receiver.post("/heads")
    def take():
        received.append(request.get_json())
        return "", 204

    handle = serve_in_thread(receiver)
    try:
        app = create_app({**app_env, "AUDIT_HEADS_TARGET": f"{handle.base_url}/heads"})
        make_call(session, make_user)
        result = app.test_cli_runner().invoke(args=["audit", "publish-heads"])
        app.extensions["db_engine"].dispose()
    finally:
        handle.shutdown()

    assert result.exit_code == 0, result.output
    assert sorted(received[0]["heads"]) == ["access_records", "call_events", "call_seals"]
