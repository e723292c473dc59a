"""The outcome keyed on the web page after a call the recruiter hung up on before the menu:
the keypad's codes and the keypad's effects (stage, do-not-call, the owed-calls queue)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from ivr.candidates import records
from ivr.candidates.records import Rules
from models import Call, CallEvent, Candidate, OwedCall, User
from models.chain import verify_chain
from tests.fixtures.twilio import COMPANY_NUMBER
from tests.test_web_pages import csrf_from, sign_in


@pytest.fixture
def web_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


@pytest.fixture
def recruiter(make_user):
    return make_user(name="Riley Recruiter", email="riley@example.com")


@pytest.fixture
def jane(make_candidate, recruiter):
    return make_candidate(owner=recruiter, name="Jane Doe")


@pytest.fixture
def signed_in(web_app, recruiter):
    client = web_app.test_client()
    sign_in(client)
    return client


@pytest.fixture
def ended_call(session, recruiter, jane):
    def make(disposition="connected", status="completed", recruiter_id=None):
        call = Call(direction="outbound", recruiter_id=recruiter_id or recruiter.id,
                    candidate_id=jane.id, company_number=COMPANY_NUMBER,
                    candidate_number=jane.phone, status=status,
                    disposition=disposition)  # fmt: skip
        session.add(call)
        session.commit()
        return call

    return make


def key(client, call, digit):
    token = csrf_from(client.get(f"/calls/{call.id}").get_data(as_text=True))
    return client.post(
        f"/calls/{call.id}/outcome",
        data={"csrf_token": token, "digit": digit},
        follow_redirects=True,
    )


def test_the_call_page_offers_the_outcome_form_until_one_is_saved(signed_in, ended_call):
    call = ended_call()

    before = signed_in.get(f"/calls/{call.id}").get_data(as_text=True)
    response = key(signed_in, call, "1")

    assert 'id="key-outcome"' in before
    assert "5 · not selected, told personally" in before
    html = response.get_data(as_text=True)
    assert "Saved: interview scheduled." in html
    assert 'id="key-outcome"' not in html
    assert "Correct the outcome" in html


def test_a_keyed_outcome_has_the_keypads_effects(signed_in, session, ended_call, jane, recruiter):
    call = ended_call()

    key(signed_in, call, "1")

    session.expire_all()
    call = session.get(Call, call.id)
    assert (call.outcome.label, call.outcome_by_id) == ("interview scheduled", recruiter.id)
    assert session.get(Candidate, jane.id).stage == "interviewing"
    kinds = session.scalars(
        select(CallEvent.kind).where(CallEvent.call_id == call.id).order_by(CallEvent.seq)
    ).all()
    assert kinds == ["outcome.recorded", "candidate.stage_changed"]
    recorded = session.scalar(select(CallEvent).where(CallEvent.kind == "outcome.recorded"))
    assert (recorded.source, recorded.actor_id, recorded.detail["via"]) == (
        "user", recruiter.id, "page")  # fmt: skip
    assert verify_chain(session, CallEvent).ok


def test_wrong_number_keyed_on_the_page_marks_do_not_call(signed_in, session, ended_call, jane):
    key(signed_in, ended_call(), "9")

    session.expire_all()
    assert session.get(Candidate, jane.id).do_not_call is True


@pytest.fixture
def owed_closure(database_url, recruiter, jane):
    engine = create_engine(database_url)
    with Session(engine) as db:
        me, person = db.get(User, recruiter.id), db.get(Candidate, jane.id)
        for stage in ("interviewing", "not_selected"):
            records.update_candidate(db, me, person, {"stage": stage}, Rules(), via="test")
        db.commit()
    engine.dispose()


def test_told_personally_keyed_on_the_page_closes_the_closure_call(
    signed_in, session, ended_call, owed_closure
):
    call = ended_call()

    key(signed_in, call, "5")

    [item] = session.scalars(select(OwedCall)).all()
    assert (item.closed_reason, item.closed_by_call_id) == ("told_personally", call.id)


def test_a_voicemail_keyed_on_the_page_is_an_attempt(signed_in, session, ended_call, owed_closure):
    key(signed_in, ended_call(), "6")

    [item] = session.scalars(select(OwedCall)).all()
    assert (item.attempts, item.is_open) == (1, True)


@pytest.mark.parametrize(
    ("arrange", "digit", "said"),
    [
        ({"status": "in-progress", "disposition": None}, "1", "the call is still live"),
        ({}, "x", "choose one of the active outcome codes"),
    ],
)
def test_refusals_are_shown_and_change_nothing(
    signed_in, session, ended_call, arrange, digit, said
):
    call = ended_call(**arrange)

    response = key(signed_in, call, digit)

    assert f"Outcome not saved: {said}" in response.get_data(as_text=True)
    session.refresh(call)
    assert call.outcome_code_id is None


def test_a_call_with_an_outcome_is_corrected_not_keyed_again(signed_in, session, ended_call):
    call = ended_call()
    key(signed_in, call, "1")

    response = key(signed_in, call, "2")

    assert "correct it instead" in response.get_data(as_text=True)
    session.refresh(call)
    assert call.outcome.label == "interview scheduled"


def test_another_recruiters_call_is_not_theirs_to_key(
    signed_in, session, ended_call, make_user, jane
):
    other = make_user(name="Other")
    call = ended_call(recruiter_id=other.id)

    token = csrf_from(signed_in.get("/calls").get_data(as_text=True))
    response = signed_in.post(f"/calls/{call.id}/outcome", data={"csrf_token": token, "digit": "1"})

    # Jane is the signed-in recruiter's: the call is readable, its outcome not theirs to key.
    assert response.status_code == 303
    session.refresh(call)
    assert call.outcome_code_id is None


def test_the_dashboard_links_a_call_without_an_outcome_to_the_form(signed_in, ended_call):
    call = ended_call()

    html = signed_in.get("/calls").get_data(as_text=True)

    assert f'/calls/{call.id}#key-outcome">key it in</a>' in html
