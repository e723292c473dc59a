"""Owed calls and the calling window end to end, through the simulated phone network: a
closure call made from the queue and closed by the keyed outcome; a voicemail counted as an
attempt; a call outside the candidate's hours refused, then placed with a logged reason."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from models import CallEvent, OwedCall


def not_selected_after_interview(line, token, candidate) -> None:
    for stage in ("interviewing", "not_selected"):
        changed = line.api("PATCH", f"/api/v1/candidates/{candidate.id}", token,
                           json={"stage": stage})  # fmt: skip
        assert changed.status_code == 200, changed.text


def owed(line, token) -> list[dict]:
    return line.api("GET", "/api/v1/owed-calls", token).json()["owed_calls"]


def call_and_reach(line, token, recruiter, candidate, *, answer: bool):
    placed = line.api("POST", "/api/v1/calls", token, json={"candidate_id": candidate.id})
    assert placed.status_code in line.placed, placed.text
    recruiter_leg = line.sim.wait_for(to=recruiter.phone, waiting_for_input="answer")
    line.sim.answer(recruiter_leg.sid)
    line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="digits")
    line.sim.press(recruiter_leg.sid, "1")
    candidate_leg = line.sim.wait_for(to=candidate.phone, waiting_for_input="answer")
    if answer:
        line.sim.answer(candidate_leg.sid)
        line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="bridge")
        line.sim.clock.advance(120)
        line.sim.hangup(candidate_leg.sid)
    else:
        line.sim.clock.advance(30)
        line.sim.no_answer(candidate_leg.sid)
    line.sim.wait_for(sid=recruiter_leg.sid, waiting_for_input="digits")
    return placed.json()["id"], recruiter_leg


def test_a_closure_call_is_tried_then_told_and_leaves_the_queue(
    line, db, make_user, make_candidate, api_token
):
    riley = make_user(name="Riley Recruiter")
    jane = make_candidate(owner=riley, name="Jane Doe")
    token = api_token(riley)
    not_selected_after_interview(line, token, jane)
    [item] = owed(line, token)
    assert (item["reason"], item["attempts"]) == ("closure", 0)

    _first, leg = call_and_reach(line, token, riley, jane, answer=False)
    line.sim.press(leg.sid, "7")  # no answer
    line.sim.wait_for(sid=leg.sid, state="completed")
    [item] = owed(line, token)
    assert item["attempts"] == 1

    second, leg = call_and_reach(line, token, riley, jane, answer=True)
    line.sim.press(leg.sid, "5")  # not selected, told personally
    line.sim.wait_for(sid=leg.sid, state="completed")

    assert owed(line, token) == []
    db.expire_all()
    closed = db.scalar(select(OwedCall))
    assert (closed.closed_reason, closed.closed_by_call_id, closed.attempts) == (
        "told_personally", second, 1)  # fmt: skip
    kinds = db.scalars(
        select(CallEvent.kind)
        .where(CallEvent.candidate_id == jane.id, CallEvent.kind.like("owed.%"))
        .order_by(CallEvent.seq)
    ).all()
    assert kinds == ["owed.opened", "owed.attempt", "owed.closed"]


def test_a_call_outside_the_window_is_placed_only_with_a_reason(
    make_line, db, make_user, make_candidate, api_token
):
    line = make_line(CALLING_HOURS="09:00-20:00", CALLING_DAYS="mon-fri")
    # 03:00 UTC on a Monday: 22:00 on Sunday in New York.
    line.app.extensions["clock"] = lambda: datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    riley = make_user(name="Riley Recruiter")
    jane = make_candidate(owner=riley, name="Jane Doe", timezone="America/New_York")
    token = api_token(riley)

    refused = line.api("POST", "/api/v1/calls", token, json={"candidate_id": jane.id})
    body = {"candidate_id": jane.id, "override_reason": "she asked for tonight"}
    placed = line.api("POST", "/api/v1/calls", token, json=body)

    assert refused.status_code == 409
    assert refused.json()["opens_at"] == "2026-11-23T14:00:00Z"
    assert placed.status_code in line.placed, placed.text
    leg = line.sim.wait_for(to=riley.phone, waiting_for_input="answer")
    line.sim.no_answer(leg.sid)  # the recruiter let it ring
    line.sim.wait_for(sid=leg.sid, state="no-answer")
    db.expire_all()
    event = db.scalar(select(CallEvent).where(CallEvent.kind == "call.window_overridden"))
    assert (event.call_id, event.detail["reason"]) == (placed.json()["id"], "she asked for tonight")


def test_call_next_clears_two_overdue_closure_calls(line, db, make_user, make_candidate, api_token):
    riley = make_user(name="Riley Recruiter")
    jane = make_candidate(owner=riley, name="Jane Doe")
    lou = make_candidate(owner=riley, name="Lou Smith")
    token = api_token(riley)
    # Call next goes on when the network reports the finished call; a lost report stops the
    # run (reconciliation ends the call minutes later, too late to ring the recruiter again).
    line.without_drops()
    not_selected_after_interview(line, token, jane)
    not_selected_after_interview(line, token, lou)
    # Both overdue, Jane's the longer.
    db.execute(
        OwedCall.__table__.update()
        .where(OwedCall.candidate_id == jane.id)
        .values(due_at=datetime(2026, 1, 1, tzinfo=UTC))
    )
    db.execute(
        OwedCall.__table__.update()
        .where(OwedCall.candidate_id == lou.id)
        .values(due_at=datetime(2026, 1, 2, tzinfo=UTC))
    )
    assert [i["overdue"] for i in owed(line, token)] == [True, True]

    started = line.api("POST", "/api/v1/owed-calls/next", token)
    assert started.status_code == 201, started.text
    assert started.json()["candidate_id"] == jane.id
    for person in (jane, lou):
        leg = line.sim.wait_for(to=riley.phone, waiting_for_input="answer")
        line.sim.answer(leg.sid)
        line.sim.wait_for(sid=leg.sid, waiting_for_input="digits")
        line.sim.press(leg.sid, "1")
        their_leg = line.sim.wait_for(to=person.phone, waiting_for_input="answer")
        line.sim.answer(their_leg.sid)
        line.sim.wait_for(sid=leg.sid, waiting_for_input="bridge")
        line.sim.clock.advance(90)
        line.sim.hangup(their_leg.sid)
        line.sim.wait_for(sid=leg.sid, waiting_for_input="digits")
        line.sim.press(leg.sid, "5")  # not selected, told personally
        line.sim.wait_for(sid=leg.sid, state="completed")

    line.sim.delivered()  # every status callback in (the last one ends the run)
    line.drain()  # and the worker has rung, or stopped, Call next after it
    assert owed(line, token) == []
    db.expire_all()
    closed = db.scalars(select(OwedCall).order_by(OwedCall.id)).all()
    assert [(i.candidate_id, i.closed_reason) for i in closed] == [
        (jane.id, "told_personally"), (lou.id, "told_personally")]  # fmt: skip
    stopped = db.scalars(select(CallEvent).where(CallEvent.kind == "call_next.stopped")).all()
    assert [e.detail for e in stopped] == [{"reason": "queue done"}]
