"""Chaos: callbacks duplicated with one idempotency token, reordered or dropped, a REST answer
held past the client's timeout, all from a seed; and the clock that moves with real time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
import requests
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from simulator import Chaos, SimClock, Simulator
from simulator.engine import IDEMPOTENCY_HEADER
from tests.fixtures.simulator import ACCOUNT_SID, AUTH_TOKEN, COMPANY, RECRUITER, FakeApp

EVENTS = ["initiated", "ringing", "answered", "completed"]
STATUSES = ["initiated", "ringing", "in-progress", "completed"]
# With this seed, reordering holds "initiated" 0.27 s and "ringing" 0.02 s (see _draw).
SEED_THAT_SWAPS_THE_FIRST_TWO = 62


def _goodbye() -> VoiceResponse:
    response = VoiceResponse()
    response.say("Goodbye.")
    response.hangup()
    return response


def _call(sim: Simulator, fake: FakeApp) -> str:
    """An outbound call with every status event, answered, that hears goodbye and ends."""
    fake.on("/answer", _goodbye())
    leg = sim.create_call(
        to=RECRUITER,
        from_=COMPANY,
        url=fake.url("/answer"),
        status_callback=fake.url("/status"),
        status_callback_event=EVENTS,
    )
    sim.answer(sim.wait_for(sid=leg.sid, waiting_for_input="answer").sid)
    sim.wait_for(sid=leg.sid, state="completed")
    return leg.sid


def test_every_webhook_carries_its_own_idempotency_token(sim: Simulator, fake: FakeApp) -> None:
    sid = _call(sim, fake)

    received = fake.to("/status") + fake.to("/answer")
    tokens = [r.token for r in received]
    assert len(received) == 5
    assert all(tokens)
    assert len(set(tokens)) == 5
    assert {r.token for r in sim.requests if r.call_sid == sid} == set(tokens)
    assert IDEMPOTENCY_HEADER == "I-Twilio-Idempotency-Token"


def test_duplicated_callbacks_arrive_twice_with_the_same_token(
    sim: Simulator, fake: FakeApp
) -> None:
    sim.set_chaos(Chaos(duplicate_rate=1.0, seed=1))

    _call(sim, fake)

    callbacks = fake.to("/status")
    assert sorted(c.form["CallStatus"] for c in callbacks) == sorted(STATUSES * 2)
    by_token: dict[str | None, list[dict[str, str]]] = {}
    for callback in callbacks:
        by_token.setdefault(callback.token, []).append(callback.form)
    assert len(by_token) == 4
    assert all(first == second for first, second in by_token.values())
    assert len(fake.to("/answer")) == 1  # TwiML requests are never duplicated
    copies = [r for r in sim.requests if r.chaos == "duplicate"]
    assert sorted(r.params["CallStatus"] for r in copies) == sorted(STATUSES)


def test_dropped_callbacks_never_arrive_and_the_call_goes_on(sim: Simulator, fake: FakeApp) -> None:
    sim.set_chaos(Chaos(drop_rate=1.0, seed=1))

    sid = _call(sim, fake)

    assert fake.to("/status") == []
    assert len(fake.to("/answer")) == 1
    assert sim.said(sid) == ["Goodbye."]
    assert [r.params["CallStatus"] for r in sim.dropped] == STATUSES
    assert {r.chaos for r in sim.dropped} == {"dropped"}
    assert [r.kind for r in sim.requests] == ["voice"]


def test_reordered_callbacks_arrive_late_and_out_of_order_with_true_sequence_numbers(
    sim: Simulator, fake: FakeApp
) -> None:
    sim.set_chaos(Chaos(reorder=True, seed=SEED_THAT_SWAPS_THE_FIRST_TWO))

    _call(sim, fake)

    arrived = [c.form["CallStatus"] for c in fake.to("/status")]
    assert sorted(arrived) == sorted(STATUSES)  # all there once the leg has ended
    assert arrived.index("ringing") < arrived.index("initiated")
    for callback in fake.to("/status"):
        assert callback.form["SequenceNumber"] == str(STATUSES.index(callback.form["CallStatus"]))


def test_delivered_waits_for_late_callbacks_and_counts_a_retry_once(
    sim: Simulator, fake: FakeApp
) -> None:
    sim.set_chaos(Chaos(reorder=True, duplicate_rate=1.0, seed=SEED_THAT_SWAPS_THE_FIRST_TWO))
    menu = VoiceResponse()
    menu.gather(num_digits=1, action=fake.url("/choice")).say("Press 1.")
    fake.on("/answer", menu)
    leg = sim.create_call(
        to=RECRUITER,
        from_=COMPANY,
        url=fake.url("/answer"),
        status_callback=fake.url("/status"),
        status_callback_event=EVENTS,
    )
    sim.answer(sim.wait_for(sid=leg.sid, waiting_for_input="answer").sid)
    sim.wait_for(sid=leg.sid, waiting_for_input="digits")

    delivered = [r for r in sim.delivered() if r.kind == "status-callback"]

    assert sorted(r.params["CallStatus"] for r in delivered) == [
        "in-progress",
        "initiated",
        "ringing",
    ]
    assert all(r.chaos is None for r in delivered)
    assert len(fake.to("/status")) == 6  # every copy arrived too
    sim.hangup(leg.sid)
    sim.wait_for(sid=leg.sid, state="completed")


def test_the_same_seed_makes_the_same_decisions(sim: Simulator, fake: FakeApp) -> None:
    chaos = Chaos(drop_rate=0.5, duplicate_rate=0.5, seed=5)
    sim.set_chaos(chaos)
    _call(sim, fake)
    first = (
        [r.params["CallStatus"] for r in sim.dropped],
        [r.params["CallStatus"] for r in sim.requests if r.chaos == "duplicate"],
    )

    sim.set_chaos(chaos)
    _call(sim, fake)

    second = (
        [r.params["CallStatus"] for r in sim.dropped[len(first[0]) :]],
        [r.params["CallStatus"] for r in sim.requests if r.chaos == "duplicate"][len(first[1]) :],
    )
    assert first == second
    assert first != ([], [])  # the seed did decide something


def test_a_held_rest_answer_times_the_client_out_while_the_call_rings(
    sim: Simulator, fake: FakeApp
) -> None:
    sim.set_chaos(Chaos(rest_delay_seconds=2.0, seed=1))
    impatient = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=TwilioHttpClient(timeout=0.2))
    impatient.api.base_url = sim.base_url

    with pytest.raises(requests.Timeout):
        impatient.calls.create(to=RECRUITER, from_=COMPANY, url=fake.url("/answer"))
    leg = sim.wait_for(to=RECRUITER, waiting_for_input="answer")

    assert leg.state == "ringing"
    impatient.http_client.session.close()  # type: ignore[attr-defined]


def test_no_chaos_unless_asked_and_a_seed_is_always_chosen(sim: Simulator) -> None:
    assert not sim.chaos.active
    assert sim.chaos.seed is not None
    assert sim.set_chaos(Chaos(reorder=True)).seed is not None


def test_chaos_is_spelt_the_same_on_the_command_line_and_in_sim_chaos() -> None:
    chaos = Chaos.parse("duplicate,reorder, drop=0.2,delay=3,seed=7")

    assert chaos == Chaos(
        duplicate_rate=0.5, reorder=True, drop_rate=0.2, rest_delay_seconds=3.0, seed=7
    )
    assert Chaos.parse("") == Chaos()
    assert Chaos.parse("delay").rest_delay_seconds > 10  # past the gateway's client timeout
    for wrong in ("duplicate=2", "seed", "sometimes=1", "drop=often"):
        with pytest.raises(ValueError):  # noqa: PT011
            Chaos.parse(wrong)


# The clock ---------------------------------------------------------------------------------


def test_the_clock_moves_with_real_time_and_advance_adds_to_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    elapsed = [100.0]
    monkeypatch.setattr("simulator.engine.time.monotonic", lambda: elapsed[0])
    start = datetime(2026, 11, 2, 9, 0, 0, 250_000, tzinfo=UTC)
    clock = SimClock(start)

    elapsed[0] += 2.5
    moved = clock.now()
    clock.advance(60)

    assert moved == start + timedelta(seconds=2.5)
    assert clock.now() == start + timedelta(seconds=62.5)


def test_talk_time_is_real_and_reported_in_whole_seconds(
    sim: Simulator, fake: FakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    elapsed = [500.0]
    monkeypatch.setattr("simulator.engine.time.monotonic", lambda: elapsed[0])
    sim.clock = SimClock(datetime.now(UTC).replace(microsecond=0))
    menu = VoiceResponse()
    menu.gather(num_digits=1, action=fake.url("/choice")).say("Press 1.")
    fake.on("/answer", menu)
    leg = sim.create_call(
        to=RECRUITER,
        from_=COMPANY,
        url=fake.url("/answer"),
        status_callback=fake.url("/status"),
        status_callback_event=EVENTS,
    )
    sim.answer(sim.wait_for(sid=leg.sid, waiting_for_input="answer").sid)
    sim.wait_for(sid=leg.sid, waiting_for_input="digits")

    elapsed[0] += 42.7  # no advance(): the two simply talked
    sim.hangup(leg.sid)
    ended = sim.wait_for(sid=leg.sid, state="completed")

    answered, completed = fake.to("/status")[2].form, fake.to("/status")[3].form
    assert completed["CallDuration"] == "42"
    assert ended.duration == 42
    talk = parsedate_to_datetime(completed["Timestamp"]) - parsedate_to_datetime(
        answered["Timestamp"]
    )
    assert talk == timedelta(seconds=42)
