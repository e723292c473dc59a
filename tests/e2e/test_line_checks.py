"""The checks every Line ends with: no Twilio delivery recorded twice, every call ended as its
leg did. They are what a chaos run asserts, so they must catch what they claim to."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy.orm import Session

from ivr.callflow.events import record_event
from models import Call
from simulator.engine import LegSnapshot, SentRequest
from tests.fixtures.line import duplicate_events, wrong_final_states

LEG = "CA" + "4" * 32
RINGING = {"CallSid": LEG, "CallStatus": "ringing", "SequenceNumber": "1"}


def _sent(token: str, params: dict[str, str] = RINGING) -> SentRequest:
    return SentRequest(
        "status-callback", LEG, "POST", "http://app/voice/status", params, 200, "", None, token
    )


def _network(*sent: SentRequest, legs: Sequence[LegSnapshot] = ()) -> SimpleNamespace:
    return SimpleNamespace(sim=SimpleNamespace(requests=list(sent), legs=lambda: list(legs)))


def _call(db: Session, status: str = "completed", **fields: object) -> Call:
    call = Call(direction="outbound", company_number="+15005550006", parent_sid=LEG, status=status)
    for name, value in fields.items():
        setattr(call, name, value)
    db.add(call)
    db.flush()
    return call


def test_a_retried_delivery_recorded_twice_is_a_duplicate_event(db: Session) -> None:
    call = _call(db)
    record_event(db, call, "twilio.status", source="twilio", payload=RINGING)
    record_event(db, call, "twilio.status", source="twilio", payload=RINGING)

    retried = duplicate_events(_network(_sent("t1"), _sent("t1")), db)
    delivered_twice = duplicate_events(_network(_sent("t1"), _sent("t2")), db)
    replayed_by_hand = duplicate_events(_network(), db)

    assert retried == [
        "twilio.status recorded 2 times for 1 deliveries of "
        f"{{'CallSid': '{LEG}', 'CallStatus': 'ringing', 'SequenceNumber': '1'}}"
    ]
    assert (delivered_twice, replayed_by_hand) == ([], [])


def _ended(sid: str, state: str = "completed") -> LegSnapshot:
    return LegSnapshot(
        sid, "+15005559999", "+15005550006", "inbound", state, None, None, None, True
    )


def test_a_call_that_disagrees_with_its_leg_is_a_wrong_final_state(db: Session) -> None:
    now = datetime.now(UTC)
    stuck = _call(db, status="ringing")
    early = _call(db, parent_sid="CA" + "5" * 32, created_at=now, ended_at=now - timedelta(1))
    _call(db, parent_sid="CA" + "6" * 32, created_at=now, ended_at=now)
    legs = [_ended(LEG), _ended("CA" + "5" * 32), _ended("CA" + "6" * 32)]

    problems = wrong_final_states(_network(legs=legs), db)

    assert problems == [
        f"call {stuck.id} is 'ringing'; its leg ended 'completed'",
        f"call {stuck.id} has no end time; its leg ended 'completed'",
        f"call {early.id} ended {early.ended_at} before {early.created_at}",
    ]
