"""The auditor's and admin's pages (issue 5): the log, a call's timeline, a candidate's
history, recordings, each read recorded; admin users, routing, outcome codes, access log."""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from ivr import create_app
from models import AccessRecord, Call, CallEvent, OutcomeCode, User
from tests.fixtures.app import base_env
from tests.fixtures.twilio import ACCOUNT_SID, AUTH_TOKEN, COMPANY_NUMBER
from tests.test_web_pages import csrf_from, sign_in


@pytest.fixture
def web_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


@pytest.fixture
def cast(make_user, make_candidate, session):
    riley = make_user(name="Riley Recruiter", email="riley@example.com")
    ada = make_user("auditor", name="Ada Auditor", email="ada@example.com")
    root = make_user("admin", name="Root Admin", email="root@example.com")
    candidate = make_candidate(owner=riley, name="Ann Applicant")
    call = Call(direction="outbound", recruiter_id=riley.id, candidate_id=candidate.id,
                company_number=COMPANY_NUMBER, status="completed", talk_duration=42)  # fmt: skip
    session.add(call)
    session.flush()
    session.add(CallEvent(call_id=call.id, kind="call.status", source="twilio",
                          payload={"CallStatus": "completed", "CallSid": "CA" + "1" * 32},
                          detail={"status": "completed"}))  # fmt: skip
    session.commit()
    return {"riley": riley, "ada": ada, "root": root, "candidate": candidate, "call": call}


def _signed_in(web_app, email):
    client = web_app.test_client()
    assert sign_in(client, email=email).status_code == 302
    return client


def _records(session):
    return [
        (r.action, r.target, r.filters)
        for r in session.scalars(select(AccessRecord).order_by(AccessRecord.seq))
    ]


def test_auditor_lands_on_the_log_and_every_view_is_recorded(web_app, cast, session):
    client = web_app.test_client()
    landing = sign_in(client, email="ada@example.com")
    call, candidate = cast["call"], cast["candidate"]

    log = client.get("/log?direction=outbound")
    detail = client.get(f"/calls/{call.id}")
    history = client.get(f"/candidates/{candidate.id}")
    export = client.get("/log.csv?direction=outbound")

    assert landing.headers["Location"] == "/log"
    assert log.status_code == 200
    assert f'data-call-id="{call.id}"' in log.text
    assert "Ann Applicant" in log.text
    assert detail.status_code == 200
    assert 'data-kind="call.status"' in detail.text
    assert "CallStatus" in detail.text  # what Twilio sent, verbatim
    assert history.status_code == 200
    assert "Ann Applicant" in history.text
    assert export.text.splitlines()[1].startswith(f"{call.id},")
    assert _records(session) == [
        ("web.log.view", "", {"direction": "outbound"}),
        ("web.call.view", f"call:{call.id}", {}),
        ("web.candidate.view", f"candidate:{candidate.id}", {}),
        ("web.log.export", "", {"direction": "outbound"}),
    ]


def test_a_bad_filter_on_the_page_says_which_and_lists_nothing(web_app, cast):
    client = _signed_in(web_app, "ada@example.com")

    response = client.get("/log?since=last-week")

    assert response.status_code == 400
    assert "since" in response.text
    assert 'id="call-log"' not in response.text


def test_recruiter_sees_only_their_calls_and_may_correct_on_the_page(
    web_app, cast, session, make_user, make_candidate
):
    other = make_user(name="Other Recruiter")
    theirs = Call(direction="outbound", recruiter_id=other.id, company_number=COMPANY_NUMBER,
                  candidate_id=make_candidate(owner=other).id, status="completed")  # fmt: skip
    session.add(theirs)
    session.commit()
    client = _signed_in(web_app, "riley@example.com")
    call = cast["call"]

    log = client.get("/log")
    page = client.get(f"/calls/{call.id}")
    response = client.post(
        f"/calls/{call.id}/outcome-corrections",
        data={"csrf_token": csrf_from(page.text), "digit": "6", "reason": "forgot to key it"},
    )

    assert f'data-call-id="{call.id}"' in log.text
    assert f'data-call-id="{theirs.id}"' not in log.text
    assert client.get(f"/calls/{theirs.id}").status_code == 404
    assert response.status_code == 303
    session.refresh(call)
    assert call.outcome.digit == "6"
    assert _records(session) == []  # a recruiter's own reads are not an audit trail


@pytest.fixture
def recordings() -> Iterator[str]:
    """Stands in for Twilio's recording media: WAV only with the account's credentials."""
    expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()

    @Request.application
    def serve(request: Request) -> Response:
        if request.headers.get("Authorization") != expected:
            return Response("unauthorised", 401)
        if not request.path.endswith("/Recordings/RE1.wav"):
            return Response("not found", 404)
        return Response(b"RIFF....WAVEfmt ", mimetype="audio/wav")

    server = make_server("127.0.0.1", 0, serve, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_auditor_plays_a_voicemail_and_the_listen_is_recorded(
    database_url, cast, session, recordings
):
    app = create_app(base_env(database_url, TWILIO_API_BASE_URL=recordings))
    call = cast["call"]
    call.recording_url = f"{recordings}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/RE1"
    call.is_voicemail = True
    session.commit()
    client = app.test_client()
    sign_in(client, email="ada@example.com")

    response = client.get(f"/calls/{call.id}/recording")
    app.extensions["db_engine"].dispose()

    assert response.status_code == 200
    assert response.mimetype == "audio/wav"
    assert response.data.startswith(b"RIFF")
    assert _records(session) == [("web.recording.play", f"call:{call.id}", {})]


def test_a_recording_url_elsewhere_never_gets_our_credentials(database_url, cast, session):
    app = create_app(base_env(database_url))
    cast["call"].recording_url = "https://attacker.example/Recordings/RE1"
    session.commit()
    client = app.test_client()
    sign_in(client, email="ada@example.com")

    response = client.get(f"/calls/{cast['call'].id}/recording")
    app.extensions["db_engine"].dispose()

    assert response.status_code == 502
    assert "not stored with our phone provider" in response.text


def test_admin_adds_a_user_and_sets_routing(web_app, cast, session):
    client = _signed_in(web_app, "root@example.com")
    page = client.get("/admin/users")
    token = csrf_from(page.text)

    created = client.post("/admin/users", data={
        "csrf_token": token, "name": "Nia New", "email": "NIA@example.com", "role": "recruiter",
        "phone": "+1 500 555 0199", "password": "long-enough-password"})  # fmt: skip
    nia = session.scalar(select(User).where(User.email == "nia@example.com"))
    updated = client.post(f"/admin/users/{nia.id}", data={
        "csrf_token": token, f"u{nia.id}-role": "recruiter", f"u{nia.id}-phone": "+15005550199",
        f"u{nia.id}-hunt_order": "2", f"u{nia.id}-is_available": "y",
        f"u{nia.id}-is_active": "y"})  # fmt: skip

    assert created.status_code == 303
    assert updated.status_code == 303
    session.refresh(nia)
    assert (nia.phone, nia.hunt_order, nia.is_available) == ("+15005550199", 2, True)
    assert nia.check_password("long-enough-password")


def test_admin_gets_a_reason_for_a_bad_user_and_keeps_one_admin(web_app, cast, session):
    client = _signed_in(web_app, "root@example.com")
    token = csrf_from(client.get("/admin/users").text)
    root = cast["root"]

    bad_phone = client.post("/admin/users", data={
        "csrf_token": token, "name": "X", "email": "x@example.com", "role": "recruiter",
        "phone": "not a phone", "password": "long-enough-password"})  # fmt: skip
    taken = client.post("/admin/users", data={
        "csrf_token": token, "name": "X", "email": "riley@example.com", "role": "auditor",
        "password": "long-enough-password"})  # fmt: skip
    demote = client.post(f"/admin/users/{root.id}", data={
        "csrf_token": token, f"u{root.id}-role": "auditor", f"u{root.id}-is_active": "y"},
        follow_redirects=True)  # fmt: skip

    assert bad_phone.status_code == 400
    assert taken.status_code == 409
    assert "another user" in taken.text
    assert "at least one active admin" in demote.text
    session.refresh(root)
    assert root.role == "admin"
    assert session.scalar(select(User).where(User.email == "x@example.com")) is None


def test_admin_adds_and_retires_outcome_codes(web_app, cast, session):
    client = _signed_in(web_app, "root@example.com")
    token = csrf_from(client.get("/admin/outcome-codes").text)

    client.post("/admin/outcome-codes", data={
        "csrf_token": token, "digit": "0", "label": "asked for email instead",
        "sets_stage": "", "is_active": "y"})  # fmt: skip
    # An unticked box sends the hidden "no" before it.
    client.post("/admin/outcome-codes", data={
        "csrf_token": token, "digit": "8", "label": "call back later",
        "sets_stage": "", "is_active": "no"})  # fmt: skip
    bad = client.post("/admin/outcome-codes", data={
        "csrf_token": token, "digit": "12", "label": "two digits"})  # fmt: skip

    codes = {c.digit: c for c in session.scalars(select(OutcomeCode))}
    assert codes["0"].label == "asked for email instead"
    assert codes["0"].is_active
    assert not codes["8"].is_active
    assert bad.status_code == 400


def test_admin_sees_who_read_what(web_app, cast):
    auditor = _signed_in(web_app, "ada@example.com")
    auditor.get("/log?status=busy")
    admin = _signed_in(web_app, "root@example.com")

    page = admin.get("/admin/access")
    settings = admin.get("/admin/settings")

    assert page.status_code == 200
    assert "Ada Auditor" in page.text
    assert "status=busy" in page.text
    assert settings.status_code == 200
    assert AUTH_TOKEN not in settings.text
    assert "test-secret-key" not in settings.text


def test_the_pages_stylesheet_and_script_are_served(web_app, cast):
    client = _signed_in(web_app, "riley@example.com")
    page = client.get("/calls").text

    assets = re.findall(r'(?:href|src)="(/assets/[^"]+)"', page)

    assert {a.rsplit("/", 1)[-1] for a in assets} >= {"style.css", "calls.js"}
    for asset in assets:
        response = client.get(asset)
        response.close()
        assert response.status_code == 200, asset


def test_an_auditors_read_of_a_calls_json_is_recorded(web_app, cast, session):
    client = _signed_in(web_app, "ada@example.com")
    call = cast["call"]

    response = client.get(f"/calls/{call.id}.json")

    assert response.status_code == 200
    assert response.json["id"] == call.id
    assert _records(session) == [("web.call.json", f"call:{call.id}", {})]


def test_a_recruiters_own_call_json_is_not_recorded(web_app, cast, session):
    client = _signed_in(web_app, "riley@example.com")

    assert client.get(f"/calls/{cast['call'].id}.json").status_code == 200
    assert _records(session) == []
