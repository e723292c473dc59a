"""Twilio's I-Twilio-Idempotency-Token: a retried delivery gets the first answer and writes
nothing (https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ivr.voice import hook as hook_module
from models import Call, CallEvent, WebhookDelivery, utcnow
from tests.fixtures.twilio import COMPANY_NUMBER

CALL_SID = "CA" + "7" * 32
TOKEN = "idem-0001-aaaa"


@pytest.fixture
def unknown_call(twilio_post, session, make_user):
    make_user(name="Tess Team", phone="+15005550141", hunt_order=1)
    twilio_post("/voice/incoming", {"CallSid": CALL_SID, "From": "+15005550999",
                                    "To": COMPANY_NUMBER, "CallStatus": "ringing"})  # fmt: skip
    return session.scalar(select(Call).where(Call.parent_sid == CALL_SID))


def events(session) -> list[str]:
    session.expire_all()
    return list(session.scalars(select(CallEvent.kind).order_by(CallEvent.id)))


def choice(twilio_post, call, token: str | None = TOKEN):
    params = {"CallSid": CALL_SID, "Digits": "1"}
    return twilio_post(f"/voice/inbound/{call.id}/choice", params, token=token)


def test_a_retried_menu_choice_gets_the_same_answer_and_writes_nothing(
    twilio_post, session, unknown_call
):
    first = choice(twilio_post, unknown_call)
    after_first = events(session)

    second = choice(twilio_post, unknown_call)

    assert (second.status_code, second.data) == (first.status_code, first.data)
    assert second.mimetype == "text/xml"
    assert events(session) == after_first
    assert after_first.count("unknown.choice") == 1


def test_without_the_token_the_same_choice_is_a_second_delivery(twilio_post, session, unknown_call):
    # What the token is for: the menu choice has no key of its own, so only the token tells a
    # retry from a caller pressing 1 again.
    choice(twilio_post, unknown_call, token=None)
    choice(twilio_post, unknown_call, token=None)

    assert events(session).count("unknown.choice") == 2


def test_a_retry_racing_the_first_delivery_is_answered_from_the_stored_row(
    twilio_post, session, unknown_call, monkeypatch
):
    first = choice(twilio_post, unknown_call)
    after_first = events(session)
    real, looked = hook_module.answered, []

    def raced(db, token):
        # The retry looks before the first delivery is committed: it finds nothing, decides,
        # and the unique token refuses its write.
        looked.append(token)
        return (None, token) if len(looked) == 1 else real(db, token)

    monkeypatch.setattr(hook_module, "answered", raced)

    second = choice(twilio_post, unknown_call)

    assert len(looked) == 2
    assert (second.status_code, second.data) == (first.status_code, first.data)
    assert events(session) == after_first


def test_a_token_reused_on_another_webhook_is_answered_afresh(twilio_post, session, unknown_call):
    choice(twilio_post, unknown_call)

    response = twilio_post(f"/voice/inbound/{unknown_call.id}/hunt-result?i=0",
                           {"CallSid": CALL_SID, "DialCallStatus": "no-answer"},
                           token=TOKEN)  # fmt: skip

    assert response.status_code == 200
    assert "Record" in response.text  # the hunt went on to voicemail, not the menu's answer


def test_purge_forgets_old_answers_and_keeps_recent_ones(app, session):
    now = utcnow()
    for token, age in (("old", timedelta(days=2)), ("new", timedelta(hours=1))):
        session.add(WebhookDelivery(token=token, path="/voice/status", created_at=now - age))
    session.commit()

    result = app.test_cli_runner().invoke(args=["purge-webhook-deliveries", "--hours", "24"])

    assert result.exit_code == 0, result.output
    assert "purged 1 webhook deliveries" in result.output
    session.expire_all()
    assert list(session.scalars(select(WebhookDelivery.token))) == ["new"]
    assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 1
