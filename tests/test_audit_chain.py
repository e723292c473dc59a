"""The call log is provably untampered: every edit, delete or reorder breaks the hash chain."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, select, text

from ivr.migrate import alembic_config
from models import Call, CallEvent
from tests.fixtures.twilio import COMPANY_NUMBER


@pytest.fixture
def log_of_five(session, make_user):
    recruiter = make_user()
    call = Call(direction="outbound", recruiter_id=recruiter.id, company_number=COMPANY_NUMBER)
    session.add(call)
    session.flush()
    for n in range(5):
        session.add(CallEvent(call_id=call.id, kind=f"step.{n}", source="app", detail={"n": n}))
        session.flush()
    session.commit()
    return call


def verify(app, *args):
    return app.test_cli_runner().invoke(args=["audit", "verify", *args])


def tamper(session, *statements):
    """What someone with the database owner's rights could do: switch the guards off first."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("ALTER TABLE call_events DISABLE TRIGGER USER"))
    else:
        session.execute(text("DROP TRIGGER call_events_no_update"))
        session.execute(text("DROP TRIGGER call_events_no_delete"))
    for statement in statements:
        session.execute(text(statement))
    session.commit()


def test_events_are_chained_in_order(session, log_of_five):
    rows = session.scalars(select(CallEvent).order_by(CallEvent.seq)).all()

    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == "0" * 64
    assert all(
        later.prev_hash == earlier.hash for earlier, later in zip(rows, rows[1:], strict=False)
    )


def test_verify_passes_on_an_intact_log(app, log_of_five):
    result = verify(app)

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("ok, 5 events (head ")


def test_verify_names_the_edited_event(app, session, log_of_five):
    tamper(session, "UPDATE call_events SET kind = 'step.x' WHERE seq = 3")

    result = verify(app)

    assert result.exit_code == 1
    assert "first broken link at seq 3: its content does not match its hash" in result.output


def test_verify_names_the_link_after_a_deleted_event(app, session, log_of_five):
    tamper(session, "DELETE FROM call_events WHERE seq = 2")

    result = verify(app)

    assert result.exit_code == 1
    assert "first broken link at seq 3: seq 3 where 2 was expected" in result.output


def test_verify_names_the_first_reordered_event(app, session, log_of_five):
    tamper(
        session,
        "UPDATE call_events SET seq = -2 WHERE seq = 2",
        "UPDATE call_events SET seq = 2 WHERE seq = 4",
        "UPDATE call_events SET seq = 4 WHERE seq = -2",
    )

    result = verify(app)

    assert result.exit_code == 1
    assert "first broken link at seq 2:" in result.output


def test_verify_catches_a_cut_off_tail_against_a_recorded_head(app, session, log_of_five):
    head = verify(app).output.split("(head ")[1].split(")")[0]
    tamper(session, "DELETE FROM call_events WHERE seq = 5")

    result = verify(app, "--expect-head", head)

    assert result.exit_code == 1
    assert "rows were removed from the end" in result.output


def test_migration_chains_events_written_before_the_chain_existed(database_url):
    config = alembic_config(database_url)
    command.downgrade(config, "0002")
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO calls (direction, company_number, status, is_voicemail, "
                          "created_at) VALUES ('outbound', '+15005550006', 'queued', false, "
                          "'2026-11-01 10:00:00')"))  # fmt: skip
        for kind in ("a", "b"):
            conn.execute(
                text("INSERT INTO call_events (call_id, created_at, kind, source, payload, detail) "
                     "VALUES (1, '2026-11-01 10:00:01', :k, 'app', '{}', '{\"x\": 1}')"),
                {"k": kind},
            )  # fmt: skip

    command.upgrade(config, "head")

    from sqlalchemy.orm import Session

    from models.chain import verify_chain

    with Session(engine) as session:
        report = verify_chain(session, CallEvent)
    engine.dispose()
    assert report.ok, report.problem
    assert report.count == 2


@pytest.fixture
def three_reads(session, make_user):
    from models import AccessRecord

    auditor = make_user("auditor")
    for n in range(3):
        session.add(AccessRecord(user_id=auditor.id, action="web.log.view", filters={"n": n}))
        session.flush()
    session.commit()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE access_records SET action = 'nothing' WHERE seq = 2",
        "DELETE FROM access_records WHERE seq = 2",
    ],  # fmt: skip
)
def test_access_records_are_append_only(session, three_reads, statement):
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text(statement))


def test_verify_names_an_edited_access_record(app, session, three_reads):
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("ALTER TABLE access_records DISABLE TRIGGER USER"))
    else:
        session.execute(text("DROP TRIGGER access_records_no_update"))
    session.execute(text("UPDATE access_records SET ip = '10.6.6.6' WHERE seq = 2"))
    session.commit()

    result = verify(app)

    assert result.exit_code == 1
    assert "BROKEN access_records: first broken link at seq 2" in result.output
