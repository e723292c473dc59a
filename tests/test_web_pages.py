"""The recruiter's pages: sign-in, CSRF on every form, own candidates only, refusals shown."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from models import Call, CallbackTask, CallEvent


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def web_app(app):
    # The suite's app runs with TESTING; CSRF must be on here, as in production.
    app.config["WTF_CSRF_ENABLED"] = True
    return app


@pytest.fixture
def recruiter(make_user):
    return make_user(name="Riley Recruiter", email="riley@example.com")


def sign_in(client, email="riley@example.com", password="password-123"):
    page = client.get("/login").get_data(as_text=True)
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_from(page)}
    )


def test_pages_require_sign_in(client):
    response = client.get("/calls")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_wrong_password_is_refused_with_a_message(web_app, recruiter):
    client = web_app.test_client()

    response = sign_in(client, password="wrong")

    assert response.status_code == 200
    assert "do not match an active account" in response.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(web_app, recruiter):
    response = web_app.test_client().post(
        "/login", data={"email": "riley@example.com", "password": "password-123"}
    )

    assert response.status_code == 400


def test_dashboard_lists_only_my_candidates_with_a_call_button(
    web_app, recruiter, make_user, make_candidate
):
    make_candidate(owner=recruiter, name="Jane Doe")
    make_candidate(owner=recruiter, name="Dan Nocall", do_not_call=True)
    make_candidate(owner=make_user(), name="Someone Else")
    client = web_app.test_client()

    sign_in(client)
    html = client.get("/calls").get_data(as_text=True)

    assert "Jane Doe" in html
    assert "Someone Else" not in html
    assert html.count('class="call"') == 1
    assert "do not call" in html


def test_call_button_without_csrf_token_places_nothing(web_app, recruiter, make_candidate, session):
    candidate = make_candidate(owner=recruiter)
    client = web_app.test_client()
    sign_in(client)

    response = client.post(f"/candidates/{candidate.id}/call")

    assert response.status_code == 400
    assert session.scalar(select(func.count()).select_from(Call)) == 0


def test_a_refused_call_is_explained_on_the_page(web_app, recruiter, make_candidate, session):
    candidate = make_candidate(owner=recruiter, name="Dan Nocall", do_not_call=True)
    client = web_app.test_client()
    sign_in(client)
    token = csrf_from(client.get("/calls").get_data(as_text=True))

    response = client.post(
        f"/candidates/{candidate.id}/call", data={"csrf_token": token}, follow_redirects=True
    )

    assert "Call not placed: Dan Nocall is marked do-not-call." in response.get_data(as_text=True)


def test_a_refused_call_from_javascript_gets_json(web_app, recruiter, make_candidate):
    candidate = make_candidate(owner=recruiter, name="Dan Nocall", do_not_call=True)
    client = web_app.test_client()
    sign_in(client)
    token = csrf_from(client.get("/calls").get_data(as_text=True))

    response = client.post(
        f"/candidates/{candidate.id}/call",
        data={"csrf_token": token},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 409
    assert response.json == {"error": "Dan Nocall is marked do-not-call"}


def test_another_recruiters_candidate_page_is_forbidden(
    web_app, recruiter, make_user, make_candidate
):
    theirs = make_candidate(owner=make_user())
    client = web_app.test_client()
    sign_in(client)

    assert client.get(f"/candidates/{theirs.id}").status_code == 403


def test_login_does_not_redirect_off_site(web_app, recruiter):
    client = web_app.test_client()
    page = client.get("/login").get_data(as_text=True)

    response = client.post(
        "/login?next=//evil.example.com/",
        data={"email": "riley@example.com", "password": "password-123",
              "csrf_token": csrf_from(page)},
    )  # fmt: skip

    assert response.headers["Location"] == "/calls"


@pytest.fixture
def voicemail(session, recruiter):
    def make(candidate=None, number="+15005550999", assigned=True):
        flow = "unknown-caller" if candidate is None else "candidate"
        call = Call(direction="inbound", flow=flow,
                    candidate_id=candidate.id if candidate else None, candidate_number=number,
                    company_number="+15005550006", status="completed", is_voicemail=True,
                    recording_url="http://127.0.0.1:9/RE1", recording_duration=12)  # fmt: skip
        session.add(call)
        session.flush()
        task = CallbackTask(voicemail_call_id=call.id, candidate_id=call.candidate_id,
                            recruiter_id=recruiter.id if assigned else None,
                            caller_number=number)  # fmt: skip
        session.add(task)
        session.commit()
        return call, task

    return make


def test_a_voicemail_shows_as_a_callback_task_with_its_audio(
    web_app, recruiter, make_candidate, voicemail
):
    candidate = make_candidate(owner=recruiter, name="Jane Doe")
    call, _task = voicemail(candidate)
    client = web_app.test_client()
    sign_in(client)

    html = client.get("/calls").get_data(as_text=True)

    assert "Callbacks waiting (1)" in html
    assert f'src="/calls/{call.id}/recording"' in html
    assert "Call back" in html


def test_an_unknown_callers_voicemail_can_be_attached_to_my_candidate(
    web_app, recruiter, make_candidate, voicemail, session
):
    candidate = make_candidate(owner=recruiter, name="Jane Doe")
    call, task = voicemail(None, assigned=False)
    client = web_app.test_client()
    sign_in(client)
    token = csrf_from(client.get("/calls").get_data(as_text=True))

    response = client.post(
        f"/calls/{call.id}/attach",
        data={"csrf_token": token, "candidate_id": str(candidate.id)},
        follow_redirects=True,
    )

    assert "Call linked to Jane Doe." in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Call, call.id).candidate_id == candidate.id
    assert session.get(CallbackTask, task.id).candidate_id == candidate.id
    events = session.scalars(select(CallEvent.kind).where(CallEvent.call_id == call.id)).all()
    assert events == ["call.attached"]


def test_a_call_cannot_be_attached_to_someone_elses_candidate(
    web_app, recruiter, make_user, make_candidate, voicemail, session
):
    theirs = make_candidate(owner=make_user())
    call, _task = voicemail(None, assigned=False)
    client = web_app.test_client()
    sign_in(client)
    token = csrf_from(client.get("/calls").get_data(as_text=True))

    client.post(f"/calls/{call.id}/attach", data={"csrf_token": token, "candidate_id": theirs.id})

    session.expire_all()
    assert session.get(Call, call.id).candidate_id is None
