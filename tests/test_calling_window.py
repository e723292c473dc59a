"""Calls are placed only inside the candidate's local calling hours: outside them the page
and the API refuse, saying when the window opens in both zones, and nothing is written; a
reason overrides the window and is logged on the call as a chained event."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from models import Call, CallbackTask, CallEvent
from models.chain import verify_chain
from tests.fixtures.app import base_env
from tests.fixtures.twilio import COMPANY_NUMBER
from tests.test_web_pages import csrf_from, sign_in

# Monday 23 November 2026, 03:00 UTC: 22:00 on Sunday in New York, 03:00 in London.
LATE_FOR_NEW_YORK = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
# 15:00 UTC: 10:00 in New York.
MORNING_IN_NEW_YORK = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture
def app_env(database_url):
    return base_env(database_url, CALLING_HOURS="09:00-20:00", CALLING_DAYS="mon-fri",
                    BUSINESS_TIMEZONE="Europe/London")  # fmt: skip


@pytest.fixture
def at(app):
    def set_clock(moment):
        app.extensions["clock"] = lambda: moment

    set_clock(LATE_FOR_NEW_YORK)
    return set_clock


@pytest.fixture
def recruiter(make_user):
    return make_user(name="Riley Recruiter", email="riley@example.com")


@pytest.fixture
def jane(make_candidate, recruiter):
    return make_candidate(owner=recruiter, name="Jane Doe", timezone="America/New_York")


@pytest.fixture
def post_call(client, api_token, recruiter):
    token = api_token(recruiter)

    def post(body):
        return client.post("/api/v1/calls", json=body, headers={"Authorization": f"Bearer {token}"})

    return post


def calls(session) -> int:
    return session.scalar(select(func.count()).select_from(Call))


def test_the_api_refuses_outside_the_candidates_hours_saying_when_they_open(
    post_call, session, jane, at
):
    response = post_call({"candidate_id": jane.id})

    assert response.status_code == 409
    assert response.json["opens_at"] == "2026-11-23T14:00:00Z"
    assert response.json["error"] == (
        "it is 22:00 on Sunday 22 November for Jane Doe (America/New_York); their calling hours "
        "open at 09:00 on Monday 23 November their time, 14:00 on Monday 23 November your time "
        "(Europe/London). To call now, give a reason"
    )
    assert calls(session) == 0


def test_the_recruiters_own_timezone_is_the_second_one(post_call, session, jane, at, recruiter):
    recruiter.timezone = "Asia/Tokyo"
    session.commit()

    response = post_call({"candidate_id": jane.id})

    assert "23:00 on Monday 23 November your time (Asia/Tokyo)" in response.json["error"]


def test_inside_the_window_the_call_goes_ahead(post_call, session, jane, at):
    at(MORNING_IN_NEW_YORK)

    response = post_call({"candidate_id": jane.id})

    # Placed: the network (nothing listens in this suite) is what answers, not the window.
    assert response.status_code == 502
    assert calls(session) == 1
    assert (
        session.scalar(select(CallEvent).where(CallEvent.kind == "call.window_overridden")) is None
    )


@pytest.mark.expected_errors
def test_a_reason_overrides_the_window_and_is_logged_on_the_call(
    post_call, session, jane, at, recruiter
):
    response = post_call({"candidate_id": jane.id, "override_reason": "she asked for tonight"})

    assert response.status_code == 502  # placed; the suite's network is not there
    [call] = session.scalars(select(Call)).all()
    event = session.scalar(select(CallEvent).where(CallEvent.kind == "call.window_overridden"))
    assert (event.call_id, event.candidate_id, event.actor_id) == (call.id, jane.id, recruiter.id)
    assert event.detail == {
        "reason": "she asked for tonight",
        "timezone": "America/New_York",
        "their_time": "2026-11-22T22:00-05:00",
        "window_opens": "2026-11-23T09:00-05:00",
    }
    assert verify_chain(session, CallEvent).ok


@pytest.mark.parametrize("reason", ["x" * 501, "two\nlines"])
def test_an_unusable_reason_is_refused(post_call, session, jane, at, reason):
    response = post_call({"candidate_id": jane.id, "override_reason": reason})

    assert response.status_code == 400
    assert response.json["field"] == "override_reason"
    assert calls(session) == 0


# The recruiter's page -------------------------------------------------------------------------


@pytest.fixture
def signed_in(app, recruiter):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    sign_in(client)
    return client


def click_call(client, url, **form):
    token = csrf_from(client.get("/calls").get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **form},
                       headers={"Accept": "application/json"})  # fmt: skip


def test_the_page_refuses_outside_the_window_in_both_zones(signed_in, session, jane, at):
    response = click_call(signed_in, f"/candidates/{jane.id}/call")

    assert response.status_code == 409
    assert (
        "their calling hours open at 09:00 on Monday 23 November their time"
        in response.json["error"]
    )
    assert "14:00 on Monday 23 November your time (Europe/London)" in response.json["error"]
    assert calls(session) == 0


def test_the_page_offers_call_anyway_with_a_reason_outside_the_window(signed_in, jane, at):
    html = signed_in.get("/calls").get_data(as_text=True)
    row = html[html.index(f'id="candidate-{jane.id}"') :]

    assert "outside their calling hours" in row
    assert 'name="override_reason"' in row
    assert "Call anyway" in row


def test_inside_the_window_the_page_shows_the_plain_call_button(signed_in, jane, at):
    at(MORNING_IN_NEW_YORK)

    html = signed_in.get("/calls").get_data(as_text=True)
    row = html[html.index(f'id="candidate-{jane.id}"') :]

    assert "outside their calling hours" not in row
    assert 'name="override_reason"' not in row[: row.index("</article>")]


@pytest.mark.expected_errors
def test_the_page_override_is_logged(signed_in, session, jane, at):
    response = click_call(
        signed_in, f"/candidates/{jane.id}/call", override_reason="agreed by email"
    )

    assert response.status_code == 502  # placed; the suite's network is not there
    event = session.scalar(select(CallEvent).where(CallEvent.kind == "call.window_overridden"))
    assert event.detail["reason"] == "agreed by email"


def test_a_strangers_call_back_is_held_to_their_numbers_hours(signed_in, session, recruiter, at):
    # A London number at 03:00 London time (the window is the same clock hours everywhere).
    voicemail = Call(direction="inbound", flow="unknown-caller", company_number=COMPANY_NUMBER,
                     candidate_number="+442079460958", status="completed",
                     is_voicemail=True)  # fmt: skip
    session.add(voicemail)
    session.flush()
    task = CallbackTask(voicemail_call_id=voicemail.id, caller_number="+442079460958",
                        recruiter_id=recruiter.id)  # fmt: skip
    session.add(task)
    session.commit()

    response = click_call(signed_in, f"/callbacks/{task.id}/call")

    assert response.status_code == 409
    assert "for the caller (Europe/London)" in response.json["error"]
    assert calls(session) == 1  # the voicemail only


# The recruiter line ---------------------------------------------------------------------------

LINE_SID = "CA" + "8" * 32


def line(twilio_post, session, recruiter):
    from tests.fixtures.people import LINE_PIN

    twilio_post("/voice/incoming", {"CallSid": LINE_SID, "From": recruiter.phone,
                                    "To": COMPANY_NUMBER, "CallStatus": "ringing",
                                    "Direction": "inbound"})  # fmt: skip
    session.expire_all()
    call = session.scalar(select(Call).where(Call.parent_sid == LINE_SID))
    twilio_post(f"/voice/dial-in/{call.id}/pin?attempt=1",
                {"CallSid": LINE_SID, "Digits": f"{LINE_PIN}#"})  # fmt: skip
    return call


@pytest.mark.parametrize(
    ("moment", "dialled"), [(LATE_FOR_NEW_YORK, False), (MORNING_IN_NEW_YORK, True)]
)
def test_the_line_places_no_call_outside_the_window(
    twilio_post, session, recruiter, jane, at, moment, dialled
):
    from tests.twiml_helpers import parse, spoken

    at(moment)
    call = line(twilio_post, session, recruiter)

    response = twilio_post(f"/voice/dial-in/{call.id}/code?attempt=1",
                           {"CallSid": LINE_SID, "Digits": f"{jane.code}#"})  # fmt: skip

    root = parse(response.data)
    assert (root.find("Dial") is not None) is dialled
    if not dialled:
        assert spoken(root).startswith(
            "It is 10 PM for Jane Doe, outside their calling hours. To call them now, use Call "
            "anyway on your page, and say why."
        )


def test_the_line_calls_no_candidate_back_outside_the_window(
    twilio_post, session, recruiter, jane, at
):
    from tests.twiml_helpers import parse, spoken

    voicemail = Call(direction="inbound", flow="candidate", company_number=COMPANY_NUMBER,
                     candidate_id=jane.id, candidate_number=jane.phone, status="completed",
                     is_voicemail=True)  # fmt: skip
    session.add(voicemail)
    session.flush()
    session.add(CallbackTask(voicemail_call_id=voicemail.id, candidate_id=jane.id,
                             caller_number=jane.phone, recruiter_id=recruiter.id))  # fmt: skip
    session.commit()
    call = line(twilio_post, session, recruiter)
    menu = twilio_post(f"/voice/dial-in/{call.id}/code?attempt=1",
                       {"CallSid": LINE_SID, "Digits": "*"})  # fmt: skip
    action = parse(menu.data).find("Gather").get("action").replace("http://localhost", "")

    response = twilio_post(action, {"CallSid": LINE_SID, "Digits": "1"})

    root = parse(response.data)
    assert root.find("Dial") is None
    assert spoken(root).startswith("It is 10 PM for Jane Doe, outside their calling hours.")


def test_a_callback_outside_the_window_offers_call_back_anyway(
    signed_in, session, jane, recruiter, at
):
    voicemail = Call(direction="inbound", flow="candidate", company_number=COMPANY_NUMBER,
                     candidate_id=jane.id, candidate_number=jane.phone, status="completed",
                     is_voicemail=True)  # fmt: skip
    session.add(voicemail)
    session.flush()
    session.add(CallbackTask(voicemail_call_id=voicemail.id, candidate_id=jane.id,
                             caller_number=jane.phone, recruiter_id=recruiter.id))  # fmt: skip
    session.commit()

    html = signed_in.get("/calls").get_data(as_text=True)
    item = html[html.index('class="callback"') :]

    assert "Call back anyway" in item
    assert 'name="override_reason"' in item
