"""A voicemail's page opens for whoever is to call it back, as its recording plays for them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import AccessRecord, Call, CallbackTask, Candidate, User

COMPANY_NUMBER = "+15005550006"
MakeVoicemail = Callable[[User | None], Call]


@pytest.fixture
def riley(make_user: Callable[..., User]) -> User:
    return make_user(name="Riley Recruiter")


@pytest.fixture
def voicemail(
    session: Session, riley: User, make_candidate: Callable[..., Candidate]
) -> MakeVoicemail:
    """Riley's candidate left a voicemail; its callback waits for `task_for`."""

    def make(task_for: User | None) -> Call:
        jane = make_candidate(owner=riley, name="Jane Doe")
        call = Call(direction="inbound", flow="candidate", candidate_id=jane.id,
                    candidate_number=jane.phone, recruiter_id=riley.id,
                    company_number=COMPANY_NUMBER, status="completed", is_voicemail=True,
                    disposition="voicemail", recording_url="http://127.0.0.1:9/RE1")  # fmt: skip
        session.add(call)
        session.flush()
        session.add(CallbackTask(voicemail_call_id=call.id, candidate_id=jane.id,
                                 recruiter_id=task_for.id if task_for else None,
                                 caller_number=jane.phone))  # fmt: skip
        session.commit()
        return call

    return make


def signed_in(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = str(user.id)
        flask_session["_fresh"] = True
    return client


def test_the_recruiter_a_voicemail_was_handed_to_opens_its_page(app, session, make_user, voicemail):
    sam = make_user(name="Sam Second")
    call = voicemail(task_for=sam)

    response = signed_in(app, sam).get(f"/calls/{call.id}")

    assert response.status_code == 200
    assert "Jane Doe" in response.text
    assert session.scalar(select(func.count()).select_from(AccessRecord)) == 0


def test_any_recruiter_opens_the_page_of_a_voicemail_waiting_for_the_team(
    app, make_user, voicemail
):
    call = voicemail(task_for=None)

    response = signed_in(app, make_user(name="Sam Second")).get(f"/calls/{call.id}")

    assert response.status_code == 200
