"""The owed-calls queue (issue 13): who enters it and when, what counts as an attempt, what
closes an item, and that each of those is a chained event. The rules below every surface
(records, keypad outcomes, dial results, callbacks) and through the webhooks."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from ivr.callflow import callbacks as callback_work
from ivr.callflow import owed
from ivr.candidates import records
from ivr.candidates.records import Rules
from models import Call, CallbackTask, CallEvent, OwedCall
from models.chain import verify_chain
from tests.fixtures.twilio import COMPANY_NUMBER
from tests.twiml_helpers import parse

RULES = Rules(region="US", default_timezone="UTC")
PARENT_SID = "CA" + "c" * 32
CHILD_SID = "CA" + "d" * 32


@pytest.fixture
def db(database_url):
    engine = create_engine(database_url)
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.fixture
def recruiter(make_user):
    return make_user(name="Riley Recruiter", phone="+15005550101")


@pytest.fixture
def candidate(make_candidate, recruiter):
    return make_candidate(owner=recruiter, name="Jane Doe", phone="+15005550201")


def move(db, actor_id, candidate_id, *stages, via="test"):
    """Move the candidate through `stages` as its owner would on the page or the API."""
    from models import Candidate, User

    actor, person = db.get(User, actor_id), db.get(Candidate, candidate_id)
    for stage in stages:
        records.update_candidate(db, actor, person, {"stage": stage}, RULES, via=via)
        db.commit()
    return person


def items(session, candidate_id=None) -> list[OwedCall]:
    session.expire_all()
    stmt = select(OwedCall).order_by(OwedCall.id)
    if candidate_id is not None:
        stmt = stmt.where(OwedCall.candidate_id == candidate_id)
    return list(session.scalars(stmt))


def owed_events(session, candidate_id) -> list[tuple[str, dict]]:
    session.expire_all()
    rows = session.scalars(
        select(CallEvent)
        .where(CallEvent.candidate_id == candidate_id, CallEvent.kind.like("owed.%"))
        .order_by(CallEvent.seq)
    )
    return [(e.kind, e.detail) for e in rows]


# Entering the queue -------------------------------------------------------------------------


def test_not_selected_after_an_interview_opens_a_closure_call_due_in_three_business_days(
    db, session, recruiter, candidate
):
    move(db, recruiter.id, candidate.id, "interviewing", "not_selected")

    [item] = items(session, candidate.id)
    assert (item.reason, item.recruiter_id, item.attempts) == ("closure", recruiter.id, 0)
    assert item.is_open
    assert item.due_at == RULES.owed.due_after(item.opened_at)
    [(kind, detail)] = owed_events(session, candidate.id)
    assert kind == "owed.opened"
    assert detail["owed_call_id"] == item.id
    assert (detail["reason"], detail["recruiter_id"]) == ("closure", recruiter.id)
    assert verify_chain(session, CallEvent).ok


def test_not_selected_without_an_interview_owes_no_call(db, session, recruiter, candidate):
    move(db, recruiter.id, candidate.id, "screening", "not_selected")

    assert items(session, candidate.id) == []


def test_an_interview_earlier_in_the_history_still_counts(db, session, recruiter, candidate):
    move(db, recruiter.id, candidate.id, "interviewing", "withdrawn", "not_selected")

    assert [i.reason for i in items(session, candidate.id)] == ["closure"]


def test_moving_back_closes_the_item_and_a_new_decision_opens_a_new_one(
    db, session, recruiter, candidate
):
    move(db, recruiter.id, candidate.id, "interviewing", "not_selected", "interviewing")

    [first] = items(session, candidate.id)
    assert (first.closed_reason, first.open_key) == ("stage_changed", None)

    move(db, recruiter.id, candidate.id, "not_selected")

    first_again, second = items(session, candidate.id)
    assert first_again.id == first.id
    assert not first_again.is_open
    assert second.is_open
    kinds = [kind for kind, _ in owed_events(session, candidate.id)]
    assert kinds == ["owed.opened", "owed.closed", "owed.opened"]


def test_the_same_decision_sent_twice_opens_one_item(db, session, recruiter, candidate):
    move(db, recruiter.id, candidate.id, "interviewing", "not_selected", "not_selected")
    records.upsert(
        db, db.get(type(recruiter), recruiter.id), "ats", "A-1",
        {"phone": candidate.phone, "stage": "not_selected"}, RULES, via="api",
    )  # fmt: skip
    db.commit()

    assert len(items(session, candidate.id)) == 1


def test_an_offer_waits_for_its_answer_and_the_answer_closes_it(db, session, recruiter, candidate):
    move(db, recruiter.id, candidate.id, "interviewing", "offer")
    [offer] = items(session, candidate.id)
    assert (offer.reason, offer.is_open) == ("offer_answer", True)

    move(db, recruiter.id, candidate.id, "hired")

    [offer] = items(session, candidate.id)
    assert offer.closed_reason == "stage_changed"


def test_a_declined_offer_closes_the_offer_item_and_owes_a_closure_call(
    db, session, recruiter, candidate
):
    move(db, recruiter.id, candidate.id, "interviewing", "offer", "not_selected")

    offer, closure = items(session, candidate.id)
    assert (offer.reason, offer.is_open) == ("offer_answer", False)
    assert (closure.reason, closure.is_open) == ("closure", True)


def test_the_items_follow_the_candidate_to_a_new_owner(
    db, session, recruiter, candidate, make_user
):
    other = make_user(name="Other Recruiter")
    move(db, recruiter.id, candidate.id, "interviewing", "not_selected")
    from models import Candidate, User

    change = {"owner_id": other.id, "reason": "leave"}
    me, jane = db.get(User, recruiter.id), db.get(Candidate, candidate.id)
    records.update_candidate(db, me, jane, change, RULES, via="test")
    db.commit()

    [item] = items(session, candidate.id)
    assert item.recruiter_id == other.id


def test_an_import_in_one_batch_opens_the_closure_call(app, session, make_user, recruiter):
    import io

    from ivr.candidates import importer

    admin = make_user("admin")
    csv_text = (
        "name,phone,email,owner_email,stage,timezone,external_id,source\n"
        f"Jane Doe,(415) 555-0133,,{recruiter.email},interviewing,,,\n"
        f"Jane Doe,+14155550133,,{recruiter.email},not_selected,,,\n"
    )

    report = importer.import_candidates(
        app.extensions["db_sessionmaker"], admin, io.StringIO(csv_text, newline=""), RULES
    )

    assert (report.created, report.updated) == (1, 1)
    [item] = items(session)
    assert (item.reason, item.recruiter_id) == ("closure", recruiter.id)
    assert verify_chain(session, CallEvent).ok


# Attempts and closing, through the call's webhooks -------------------------------------------


def leg(**params: str) -> dict[str, str]:
    return {"CallSid": PARENT_SID, "From": COMPANY_NUMBER, "To": "+15005550101",
            "Direction": "outbound-api", "CallStatus": "in-progress", **params}  # fmt: skip


@pytest.fixture
def owed_closure(db, session, recruiter, candidate):
    move(db, recruiter.id, candidate.id, "interviewing", "not_selected")
    [item] = items(session, candidate.id)
    return item


def new_call(session, recruiter, candidate, n=1) -> Call:
    call = Call(direction="outbound", recruiter_id=recruiter.id, candidate_id=candidate.id,
                company_number=COMPANY_NUMBER, recruiter_number=recruiter.phone,
                candidate_number=candidate.phone, parent_sid=PARENT_SID[:-2] + f"{n:02d}",
                status="in-progress")  # fmt: skip
    session.add(call)
    session.commit()
    return call


def dial(twilio_post, call, status, duration="0"):
    return twilio_post(
        f"/voice/outbound/{call.id}/dial-result",
        leg(CallSid=call.parent_sid, DialCallStatus=status, DialCallSid=CHILD_SID[:-2]
            + f"{call.id:02d}", DialCallDuration=duration),
    )  # fmt: skip


def key_outcome(twilio_post, call, digit):
    return twilio_post(
        f"/voice/calls/{call.id}/outcome?attempt=1", leg(CallSid=call.parent_sid, Digits=digit)
    )


def test_a_call_nobody_answers_is_one_attempt_however_often_it_is_reported(
    twilio_post, session, recruiter, candidate, owed_closure
):
    call = new_call(session, recruiter, candidate)

    dial(twilio_post, call, "no-answer")
    dial(twilio_post, call, "no-answer")  # Twilio's retry
    key_outcome(twilio_post, call, "7")  # "no answer", keyed: the same call, the same attempt

    [item] = items(session, candidate.id)
    assert item.attempts == 1
    assert item.is_open
    attempts = [d for kind, d in owed_events(session, candidate.id) if kind == "owed.attempt"]
    assert attempts == [{"owed_call_id": item.id, "reason": "closure", "attempts": 1,
                         "why": "candidate-no-answer"}]  # fmt: skip


def test_a_voicemail_left_is_an_attempt_not_a_closure(
    twilio_post, session, recruiter, candidate, owed_closure
):
    call = new_call(session, recruiter, candidate)
    dial(twilio_post, call, "completed", "25")  # the candidate's voicemail answered

    key_outcome(twilio_post, call, "6")  # left voicemail

    [item] = items(session, candidate.id)
    assert (item.attempts, item.is_open) == (1, True)


def test_told_personally_on_a_connected_call_closes_the_closure_item(
    twilio_post, session, recruiter, candidate, owed_closure
):
    call = new_call(session, recruiter, candidate)
    dial(twilio_post, call, "completed", "120")

    response = key_outcome(twilio_post, call, "5")

    assert parse(response.data).find("Say") is not None
    [item] = items(session, candidate.id)
    assert (item.closed_reason, item.closed_by_call_id) == ("told_personally", call.id)
    assert owed_events(session, candidate.id)[-1][0] == "owed.closed"
    assert verify_chain(session, CallEvent).ok


def test_told_personally_keyed_after_a_call_that_never_connected_closes_nothing(
    twilio_post, session, recruiter, candidate, owed_closure
):
    call = new_call(session, recruiter, candidate)
    dial(twilio_post, call, "busy")

    key_outcome(twilio_post, call, "5")

    [item] = items(session, candidate.id)
    assert (item.is_open, item.attempts) == (True, 1)


def test_telling_an_interviewed_candidate_on_the_call_opens_and_closes_the_item(
    db, twilio_post, session, recruiter, candidate
):
    move(db, recruiter.id, candidate.id, "interviewing")
    call = new_call(session, recruiter, candidate)
    dial(twilio_post, call, "completed", "90")

    key_outcome(twilio_post, call, "5")

    [item] = items(session, candidate.id)
    assert (item.reason, item.closed_reason) == ("closure", "told_personally")
    assert [k for k, _ in owed_events(session, candidate.id)] == ["owed.opened", "owed.closed"]


def test_call_back_later_opens_an_item_that_the_next_connected_call_closes(
    twilio_post, session, recruiter, candidate
):
    first = new_call(session, recruiter, candidate, 1)
    dial(twilio_post, first, "completed", "30")
    key_outcome(twilio_post, first, "8")

    [item] = items(session, candidate.id)
    assert (item.reason, item.recruiter_id, item.is_open) == ("call_back_later", recruiter.id, True)

    second = new_call(session, recruiter, candidate, 2)
    dial(twilio_post, second, "completed", "60")

    [item] = items(session, candidate.id)
    assert (item.closed_reason, item.closed_by_call_id) == ("reached", second.id)


# Closing by hand -------------------------------------------------------------------------------


def test_closing_by_hand_waits_for_the_attempts_and_a_written_reason(
    db, session, recruiter, candidate, owed_closure
):
    from models import User

    me = db.get(User, recruiter.id)
    item = db.get(OwedCall, owed_closure.id)
    policy = owed.OwedPolicy.default()

    with pytest.raises(owed.OwedRefused) as early:
        owed.close_by_hand(db, item, me, "tried", policy)
    assert early.value.status == 409
    assert "try 3 times first (0 attempts so far)" in early.value.reason

    item.attempts = 3
    with pytest.raises(owed.OwedRefused) as silent:
        owed.close_by_hand(db, item, me, "  ", policy)
    assert silent.value.field == "reason"

    owed.close_by_hand(db, item, me, "three voicemails and an email", policy)
    db.commit()

    [closed] = items(session, candidate.id)
    assert (closed.closed_reason, closed.close_note) == ("by_hand", "three voicemails and an email")
    assert closed.closed_by_id == recruiter.id
    kind, detail = owed_events(session, candidate.id)[-1]
    assert (kind, detail["note"]) == ("owed.closed", "three voicemails and an email")


def test_another_recruiter_may_not_close_it(db, recruiter, candidate, owed_closure, make_user):
    other = make_user(name="Other")
    from models import User

    item = db.get(OwedCall, owed_closure.id)
    item.attempts = 5
    with pytest.raises(owed.OwedRefused) as refused:
        owed.close_by_hand(db, item, db.get(User, other.id), "why", owed.OwedPolicy.default())

    assert refused.value.status == 403


def test_a_candidate_who_may_not_be_called_may_be_closed_at_once(
    db, recruiter, candidate, owed_closure
):
    from models import Candidate, User

    db.get(Candidate, candidate.id).do_not_call = True
    item = db.get(OwedCall, owed_closure.id)

    owed.close_by_hand(db, item, db.get(User, recruiter.id), "asked us not to call",
                       owed.OwedPolicy.default())  # fmt: skip

    assert item.closed_reason == "by_hand"


# Callbacks ------------------------------------------------------------------------------------


@pytest.fixture
def voicemail(session, recruiter, candidate):
    call = Call(direction="inbound", flow="candidate", company_number=COMPANY_NUMBER,
                candidate_id=candidate.id, candidate_number=candidate.phone,
                recruiter_id=recruiter.id, status="completed", is_voicemail=True)  # fmt: skip
    session.add(call)
    session.commit()
    return call


def test_a_voicemail_is_owed_a_callback_due_the_next_business_day(
    db, session, recruiter, candidate, voicemail
):
    task = callback_work.ensure_callback_task(db, db.get(Call, voicemail.id))
    db.commit()

    [item] = items(session, candidate.id)
    assert (item.reason, item.callback_task_id, item.recruiter_id) == (
        "callback", task.id, recruiter.id)  # fmt: skip
    assert item.due_at == owed.OwedPolicy.default().due_after(task.created_at, 1)


def test_an_offer_answered_by_phone_heads_the_queue(db, session, recruiter, candidate, voicemail):
    call = db.get(Call, voicemail.id)
    call.flow = "decision"  # the candidate chose to answer their offer by phone

    task = callback_work.ensure_callback_task(db, call)
    db.commit()

    [item] = items(session, candidate.id)
    assert (item.reason, item.due_at) == ("callback", task.created_at)


def test_a_callback_marked_done_closes_its_item(db, session, recruiter, candidate, voicemail):
    from models import User

    task = callback_work.ensure_callback_task(db, db.get(Call, voicemail.id))
    callback_work.mark_done(db, task, db.get(User, recruiter.id), "emailed instead")
    db.commit()

    [item] = items(session, candidate.id)
    assert item.closed_reason == "callback_done"


def test_a_callback_call_that_connects_closes_its_item(
    db, twilio_post, session, recruiter, candidate, voicemail
):
    callback_work.ensure_callback_task(db, db.get(Call, voicemail.id))
    db.commit()
    call = new_call(session, recruiter, candidate)

    dial(twilio_post, call, "completed", "40")

    [item] = items(session, candidate.id)
    assert (item.closed_reason, item.closed_by_call_id) == ("callback_done", call.id)


def test_a_reassigned_callback_moves_its_item(
    db, session, recruiter, candidate, voicemail, make_user
):
    from models import User

    other = make_user(name="Other")
    task = callback_work.ensure_callback_task(db, db.get(Call, voicemail.id))
    callback_work.reassign(db, task, db.get(User, recruiter.id), db.get(User, other.id), "away")
    db.commit()

    [item] = items(session, candidate.id)
    assert item.recruiter_id == other.id


def test_an_unknown_callers_callback_counts_attempts_by_number(db, twilio_post, session, recruiter):
    stranger = "+15005559999"
    vm = Call(direction="inbound", flow="unknown-caller", company_number=COMPANY_NUMBER,
              candidate_number=stranger, status="completed", is_voicemail=True)  # fmt: skip
    session.add(vm)
    session.commit()
    task = callback_work.ensure_callback_task(db, db.get(Call, vm.id))
    task.recruiter_id = recruiter.id
    db.commit()
    call = Call(direction="outbound", flow="callback", recruiter_id=recruiter.id,
                company_number=COMPANY_NUMBER, recruiter_number=recruiter.phone,
                candidate_number=stranger, parent_sid=PARENT_SID, status="in-progress")  # fmt: skip
    session.add(call)
    session.commit()

    dial(twilio_post, call, "no-answer")

    [item] = items(session)
    assert (item.reason, item.candidate_id, item.attempts) == ("callback", None, 1)
    assert session.get(CallbackTask, task.id).status == "open"


# Corrections and incoming calls ----------------------------------------------------------------


def test_correcting_a_mistaken_not_selected_outcome_closes_what_it_opened(
    db, twilio_post, session, recruiter, candidate
):
    from ivr.callflow.corrections import correct_outcome
    from models import User

    move(db, recruiter.id, candidate.id, "interviewing")
    call = new_call(session, recruiter, candidate)
    dial(twilio_post, call, "no-answer")
    key_outcome(twilio_post, call, "5")  # meant 7: the candidate never heard it
    [item] = items(session, candidate.id)
    assert (item.reason, item.is_open) == ("closure", True)

    ended = db.get(Call, call.id)
    ended.status = "completed"  # the recruiter's leg has hung up since
    correct_outcome(db, ended, db.get(User, recruiter.id), "7", "wrong key")
    db.commit()

    [item] = items(session, candidate.id)
    assert item.closed_reason == "stage_changed"


def test_told_personally_on_an_incoming_call_the_recruiter_took_closes_the_item(
    twilio_post, session, recruiter, candidate, owed_closure
):
    call = Call(direction="inbound", flow="candidate", recruiter_id=recruiter.id,
                candidate_id=candidate.id, company_number=COMPANY_NUMBER,
                candidate_number=candidate.phone, parent_sid=PARENT_SID, status="completed",
                disposition="answered")  # fmt: skip
    session.add(call)
    session.commit()

    key_outcome(twilio_post, call, "5")

    [item] = items(session, candidate.id)
    assert (item.closed_reason, item.closed_by_call_id) == ("told_personally", call.id)


def test_a_candidate_who_calls_in_and_is_answered_is_no_longer_owed_a_call_back_later(
    db, twilio_post, session, recruiter, candidate
):
    from ivr.callflow import inbound

    first = new_call(session, recruiter, candidate, 1)
    dial(twilio_post, first, "completed", "30")
    key_outcome(twilio_post, first, "8")
    incoming = Call(direction="inbound", flow="candidate", candidate_id=candidate.id,
                    company_number=COMPANY_NUMBER, candidate_number=candidate.phone,
                    parent_sid=PARENT_SID, child_sid=CHILD_SID, status="in-progress")  # fmt: skip
    session.add(incoming)
    session.commit()

    inbound.after_hunt_leg(
        db, db.get(Call, incoming.id),
        {"CallSid": PARENT_SID, "DialCallSid": CHILD_SID, "DialCallStatus": "completed"},
        0, recruiter.id,
    )  # fmt: skip
    db.commit()

    [item] = items(session, candidate.id)
    assert (item.reason, item.closed_reason, item.closed_by_call_id) == (
        "call_back_later", "reached", incoming.id)  # fmt: skip
