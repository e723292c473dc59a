"""Generated webhooks, signed as Twilio signs them (and some not): every answer is a 403 or
valid TwiML, and the app never logs an unhandled error.

HYPOTHESIS_WEBHOOKS sets the number of webhooks (CI runs 10,000; the everyday default is
small so the fast loop stays fast)."""

from __future__ import annotations

import logging
import os
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder

from models import Call, CallbackTask
from tests.fixtures.twilio import ACCOUNT_SID, COMPANY_NUMBER, sign

EXAMPLES = int(os.environ.get("HYPOTHESIS_WEBHOOKS", "150"))

ROUTES = (
    "/voice/incoming",
    "/voice/fallback",
    "/voice/status",
    "/voice/dial-in/{id}/code",
    "/voice/dial-in/{id}/callback-choice",
    "/voice/inbound/{id}/choice",
    "/voice/inbound/{id}/hunt-result",
    "/voice/inbound/{id}/whisper",
    "/voice/inbound/{id}/whisper-answer",
    "/voice/inbound/{id}/voicemail",
    "/voice/inbound/{id}/recording",
    "/voice/outbound/{id}/status",
    "/voice/outbound/{id}/answer",
    "/voice/outbound/{id}/screen",
    "/voice/outbound/{id}/dial-result",
    "/voice/outbound/{id}/candidate-status",
    "/voice/calls/{id}/outcome",
    "/voice/calls/{id}/outcome-prompt",
    "/voice/calls/{id}/outcome-call-status",
)
STATUSES = ("queued", "initiated", "ringing", "in-progress", "answered", "completed", "busy",
            "failed", "no-answer", "canceled")  # fmt: skip

# Text as a hostile or broken sender could make it: any code point, long runs, odd digits.
odd_text = st.one_of(
    st.text(max_size=30),
    st.text(alphabet="0123456789#*²³¹١٢٣０１２\x00\x0b\r\n ", max_size=20),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["", " ", "\x00", "9" * 5000, "x" * 20_000, "1.5", "-1", "+1", "1e309"]),
)


# Our own URLs' query arguments, as Twilio echoes them (the URL Twilio signs is ASCII).
odd_query = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=12),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["", "0", "9" * 5000, "1.5", "-1", "+1"]),
)


def maybe(values: st.SearchStrategy[str]) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), values)


@pytest.fixture
def world(session, make_user, make_candidate):
    riley = make_user(name="Riley\x0bRecruiter", phone="+15005550101")
    jane = make_candidate(owner=riley, name="Jane\x0bDoe", phone="+15005550201", code="432100")
    calls = []
    for n, (direction, flow, status) in enumerate(
        [
            ("outbound", "candidate", "in-progress"),
            ("inbound", "decision", "in-progress"),
            ("inbound", "dial-in", "in-progress"),
            ("outbound", "callback", "completed"),
        ]
    ):
        call = Call(direction=direction, flow=flow, status=status, recruiter_id=riley.id,
                    candidate_id=jane.id, company_number=COMPANY_NUMBER,
                    recruiter_number=riley.phone, candidate_number=jane.phone,
                    parent_sid=f"CA{n:032d}")  # fmt: skip
        session.add(call)
        calls.append(call)
    session.flush()
    session.add(
        CallbackTask(voicemail_call_id=calls[1].id, candidate_id=jane.id, recruiter_id=riley.id)
    )
    session.commit()
    return {"ids": [c.id for c in calls], "sids": [c.parent_sid for c in calls]}


class ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def errors():
    handler = ErrorLog()
    logger = logging.getLogger("ivr.errors")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_generated_webhooks_answer_403_or_valid_twiml(client, world, errors, data):
    route = data.draw(st.sampled_from(ROUTES), label="route")
    call_id = data.draw(
        st.one_of(st.sampled_from(world["ids"]), st.integers(1, 2**31 - 1)), label="id"
    )
    path = route.format(id=call_id)
    query = {
        name: value
        for name in ("attempt", "i", "r", "task")
        if (value := data.draw(maybe(odd_query), label=name)) is not None
    }
    form = {
        "AccountSid": data.draw(st.sampled_from([ACCOUNT_SID, "AC" + "2" * 32, ""]), label="acct"),
        "CallSid": data.draw(st.one_of(st.sampled_from(world["sids"]), odd_text), label="sid"),
        "CallStatus": data.draw(st.one_of(st.sampled_from(STATUSES), odd_text), label="status"),
        "From": data.draw(
            st.one_of(
                st.sampled_from(["+15005550101", "+15005550201", "+15005550999", "client:x"]),
                odd_text,
            ),
            label="from",
        ),  # fmt: skip
        "To": COMPANY_NUMBER,
    }
    for name in ("Digits", "DialCallStatus", "DialCallSid", "DialCallDuration", "CallDuration",
                 "RecordingSid", "RecordingUrl", "RecordingDuration", "RecordingStatus",
                 "SequenceNumber", "Timestamp", "AnsweredBy", "ErrorCode", "ErrorUrl",
                 "StirVerstat", "Caller"):  # fmt: skip
        value = data.draw(maybe(odd_text), label=name)
        if value is not None:
            form[name] = value
    url = "http://localhost" + path + ("?" + urlencode(query) if query else "")
    # Twilio signs the URL as it requested it; the app checks the URL as the server read it.
    url = EnvironBuilder(url, method="POST").get_request().url
    signed = data.draw(st.booleans() | st.just(True), label="signed")
    signature = sign(url, form) if signed else sign(url, {**form, "tampered": "1"})

    response = client.post(url, data=form, headers={"X-Twilio-Signature": signature})

    if not signed:
        assert response.status_code == 403
    else:
        assert response.status_code == 200, response.status_code
        assert response.mimetype == "text/xml"
        root = ET.fromstring(response.data)  # well-formed XML
        assert root.tag == "Response"
    assert not errors.records, [
        (r.getMessage(), repr(r.exc_info[1]) if r.exc_info else None) for r in errors.records
    ]
