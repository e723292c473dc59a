"""Do-not-call holds server-side on every outbound path, whatever a page shows: the one-click
call (page and API), a call back from the callbacks list (a candidate's, or an unknown
caller's whose number has since become a do-not-call candidate's), and the recruiter line
(a candidate's code, a callback chosen from its menu). The screening step refusing a
candidate marked meanwhile is tested with the one-click webhooks (test_outbound_webhooks)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import Call, CallbackTask
from tests.fixtures.people import LINE_PIN
from tests.fixtures.twilio import COMPANY_NUMBER
from tests.test_web_pages import csrf_from, sign_in
from tests.twiml_helpers import parse, spoken

STRANGER = "+15005559999"
LINE_SID = "CA" + "7" * 32


@pytest.fixture
def web_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


@pytest.fixture
def recruiter(make_user):
    return make_user(name="Riley Recruiter", email="riley@example.com", phone="+15005550101")


@pytest.fixture
def dnc(make_candidate, recruiter):
    return make_candidate(owner=recruiter, name="Dee Nocall", phone="+15005550201",
                          code="654321", do_not_call=True,
                          do_not_call_reason="asked not to be called")  # fmt: skip


@pytest.fixture
def signed_in(web_app, recruiter):
    client = web_app.test_client()
    sign_in(client)
    return client


def outbound_calls(session) -> int:
    return session.scalar(
        select(func.count()).select_from(Call).where(Call.direction == "outbound")
    )


def post(client, url, *, json=False):
    token = csrf_from(client.get("/calls").get_data(as_text=True))
    headers = {"Accept": "application/json"} if json else {}
    return client.post(url, data={"csrf_token": token}, headers=headers)


@pytest.fixture
def voicemail(session):
    def make(candidate=None, number=STRANGER, recruiter_id=None):
        call = Call(direction="inbound", flow="candidate" if candidate else "unknown-caller",
                    candidate_id=candidate.id if candidate else None, candidate_number=number,
                    company_number=COMPANY_NUMBER, status="completed",
                    is_voicemail=True)  # fmt: skip
        session.add(call)
        session.flush()
        task = CallbackTask(voicemail_call_id=call.id, candidate_id=call.candidate_id,
                            caller_number=number, recruiter_id=recruiter_id)  # fmt: skip
        session.add(task)
        session.commit()
        return task

    return make


# The web page ---------------------------------------------------------------------------------


@pytest.mark.parametrize("as_json", [False, True])
def test_the_call_button_posted_anyway_is_refused(signed_in, session, dnc, as_json):
    response = post(signed_in, f"/candidates/{dnc.id}/call", json=as_json)

    if as_json:
        assert response.status_code == 409
        assert response.json["error"] == "Dee Nocall is marked do-not-call"
    else:
        page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
        assert "Call not placed: Dee Nocall is marked do-not-call." in page
    assert outbound_calls(session) == 0


def test_calling_back_a_do_not_call_candidates_voicemail_is_refused(
    signed_in, session, dnc, recruiter, voicemail
):
    task = voicemail(dnc, dnc.phone, recruiter.id)

    response = post(signed_in, f"/callbacks/{task.id}/call", json=True)

    assert response.status_code == 409
    assert outbound_calls(session) == 0


def test_calling_back_a_stranger_whose_number_became_do_not_call_is_refused(
    signed_in, session, recruiter, voicemail, make_candidate
):
    task = voicemail(number=STRANGER)
    make_candidate(owner=recruiter, name="Was Stranger", phone=STRANGER, do_not_call=True)

    response = post(signed_in, f"/callbacks/{task.id}/call", json=True)

    assert response.status_code == 409
    assert "do-not-call" in response.json["error"]
    assert outbound_calls(session) == 0


# The API ---------------------------------------------------------------------------------------


def test_the_api_refuses_a_do_not_call_candidate(client, api_token, recruiter, dnc, session):
    response = client.post(
        "/api/v1/calls",
        json={"candidate_id": dnc.id},
        headers={"Authorization": f"Bearer {api_token(recruiter)}"},
    )

    assert response.status_code == 409
    assert outbound_calls(session) == 0


# The recruiter line ---------------------------------------------------------------------------


def line(twilio_post, session, recruiter):
    twilio_post("/voice/incoming", {"CallSid": LINE_SID, "From": recruiter.phone,
                                    "To": COMPANY_NUMBER, "CallStatus": "ringing",
                                    "Direction": "inbound"})  # fmt: skip
    session.expire_all()
    call = session.scalar(select(Call).where(Call.parent_sid == LINE_SID))
    twilio_post(f"/voice/dial-in/{call.id}/pin?attempt=1",
                {"CallSid": LINE_SID, "Digits": f"{LINE_PIN}#"})  # fmt: skip
    return call


def choose_first_callback(twilio_post, call):
    menu = twilio_post(f"/voice/dial-in/{call.id}/code?attempt=1",
                       {"CallSid": LINE_SID, "Digits": "*"})  # fmt: skip
    action = parse(menu.data).find("Gather").get("action").replace("http://localhost", "")
    return twilio_post(action, {"CallSid": LINE_SID, "Digits": "1"})


def test_the_line_refuses_a_do_not_call_candidates_code(twilio_post, session, recruiter, dnc):
    call = line(twilio_post, session, recruiter)

    response = twilio_post(f"/voice/dial-in/{call.id}/code?attempt=1",
                           {"CallSid": LINE_SID, "Digits": "654321#"})  # fmt: skip

    assert parse(response.data).find("Dial") is None
    assert spoken(parse(response.data)).startswith("Dee Nocall is marked do not call.")


def test_the_line_refuses_a_do_not_call_candidates_callback(
    twilio_post, session, recruiter, dnc, voicemail
):
    voicemail(dnc, dnc.phone, recruiter.id)
    call = line(twilio_post, session, recruiter)

    response = choose_first_callback(twilio_post, call)

    root = parse(response.data)
    assert root.find("Dial") is None
    assert spoken(root).startswith("Dee Nocall is marked do not call.")


def test_the_line_refuses_a_stranger_whose_number_became_do_not_call(
    twilio_post, session, recruiter, voicemail, make_candidate
):
    voicemail(number=STRANGER, recruiter_id=recruiter.id)
    make_candidate(owner=recruiter, name="Was Stranger", phone=STRANGER, do_not_call=True)
    call = line(twilio_post, session, recruiter)

    response = choose_first_callback(twilio_post, call)

    root = parse(response.data)
    assert root.find("Dial") is None
    assert spoken(root).startswith("That caller's number is marked do not call.")
    session.expire_all()
    assert session.get(Call, call.id).candidate_number is None


def test_the_line_still_calls_a_stranger_back(twilio_post, session, recruiter, voicemail):
    voicemail(number=STRANGER, recruiter_id=recruiter.id)
    call = line(twilio_post, session, recruiter)

    response = choose_first_callback(twilio_post, call)

    assert parse(response.data).find("Dial/Number").text == STRANGER
