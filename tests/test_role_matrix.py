"""Every page and API endpoint against every role (issue 5). A wrong role gets 403 (signed
out: the login page or 401) and nothing in the database changes. A new endpoint fails
test_every_endpoint_is_in_the_matrix until someone decides who may use it."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from sqlalchemy import select, text

from models import Base, Call, CallbackTask, Candidate, OwedCall, utcnow
from tests.fixtures.twilio import COMPANY_NUMBER

ROLES = ("recruiter", "auditor", "admin")
PUBLIC = "public"
ANY = ("recruiter", "auditor", "admin")
READERS = ("recruiter", "auditor")
WRITERS = ("recruiter", "admin")  # candidates' records

# endpoint -> (method, who may use it)
MATRIX: dict[str, tuple[str, Any]] = {
    "web.index": ("GET", PUBLIC),
    "web.login": ("GET", PUBLIC),
    "web.logout": ("POST", ANY),
    "web.calls_dashboard": ("GET", ("recruiter",)),
    "web.call_candidate": ("POST", ("recruiter",)),
    "web.call_status": ("GET", READERS),
    "web.live_call": ("GET", ("recruiter",)),
    "web.call_detail": ("GET", READERS),
    "web.call_recording": ("GET", READERS),
    "web.attach_call": ("POST", ("recruiter",)),
    "web.correct_call_outcome": ("POST", ("recruiter",)),
    "web.hang_up_call": ("POST", ("recruiter",)),
    "web.key_call_outcome": ("POST", ("recruiter",)),
    "web.candidate_list": ("GET", ANY),
    "web.candidate_detail": ("GET", ANY),
    "web.new_candidate": ("GET", WRITERS),
    "web.create_candidate_page": ("POST", WRITERS),
    "web.edit_candidate": ("GET", WRITERS),
    "web.update_candidate_page": ("POST", WRITERS),
    "web.reassign_candidates": ("POST", WRITERS),
    "web.add_candidate_note": ("POST", ("recruiter",)),
    "web.add_call_note": ("POST", ("recruiter",)),
    "web.callbacks_json": ("GET", ("recruiter",)),
    "web.callback_done": ("POST", ("recruiter",)),
    "web.callback_reassign": ("POST", ("recruiter",)),
    "web.callback_call": ("POST", ("recruiter",)),
    "web.close_owed_call": ("POST", ("recruiter",)),
    "web.call_next": ("POST", ("recruiter",)),
    "web.pause_call_next": ("POST", ("recruiter",)),
    "web.call_log": ("GET", READERS),
    "web.call_log_csv": ("GET", READERS),
    "web.system_changes": ("GET", ("auditor",)),
    "web.my_settings": ("GET", ANY),
    "web.save_my_settings": ("POST", ANY),
    "web.save_line_pin": ("POST", ("recruiter",)),
    "web.admin_users": ("GET", ("admin",)),
    "web.admin_create_user": ("POST", ("admin",)),
    "web.admin_update_user": ("POST", ("admin",)),
    "web.admin_reset_password": ("POST", ("admin",)),
    "web.admin_outcome_codes": ("GET", ("admin",)),
    "web.admin_save_outcome_code": ("POST", ("admin",)),
    "web.admin_access_log": ("GET", ("admin",)),
    "web.admin_settings": ("GET", ("admin",)),
    "web.import_candidates": ("POST", ("recruiter", "admin")),
    "api.health": ("GET", PUBLIC),
    "api.openapi_document": ("GET", PUBLIC),
    "api.me": ("GET", ANY),
    "api.create_call": ("POST", ("recruiter",)),
    "api.list_calls": ("GET", READERS),
    "api.export_calls": ("GET", READERS),
    "api.get_call": ("GET", READERS),
    "api.create_outcome_correction": ("POST", ("recruiter",)),
    "api.list_access_records": ("GET", ("admin",)),
    "api.list_owed_calls": ("GET", ANY),
    "api.create_call_next": ("POST", ("recruiter",)),
    "api.create_candidate": ("POST", WRITERS),
    "api.list_candidates": ("GET", ANY),
    "api.get_candidate": ("GET", ANY),
    "api.update_candidate": ("PATCH", WRITERS),
    "api.upsert_candidate": ("PUT", WRITERS),
    "api.create_candidate_note": ("POST", ("recruiter",)),
    "api.create_call_note": ("POST", ("recruiter",)),
}
# What these endpoints are sent: a body they accept, so an allowed role must succeed (2xx).
API_BODIES: dict[str, dict[str, Any]] = {
    "api.create_candidate": {"name": "Matrix Person", "phone": "+44 20 7946 0958"},
    "api.update_candidate": {"stage": "screening", "reason": "matrix"},
    "api.upsert_candidate": {"name": "Matrix Person", "phone": "+44 20 7946 0958"},
    "api.create_candidate_note": {"text": "matrix"},
    "api.create_call_note": {"text": "matrix"},
}
DEFAULT_API_BODY = {"candidate_id": 1, "digit": "1", "reason": "x"}
# Twilio's webhooks answer to signatures, not roles (tests/test_security.py); static is public.
NOT_ROLE_CHECKED = ("voice.", "static", "web.static")
# Pages that take a file: the POST carries one, so an allowed role's request does the work.
UPLOADS = {"/candidates/import": b"name,phone\nMatrix Person,(415) 555-0199\n"}


def test_every_endpoint_is_in_the_matrix(app):
    endpoints = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if not rule.endpoint.startswith(NOT_ROLE_CHECKED)
    }

    assert endpoints == set(MATRIX)


@pytest.fixture
def people(make_user, make_candidate, session):
    users = {role: make_user(role, name=f"{role} person") for role in ROLES}
    candidate = make_candidate(owner=users["recruiter"])
    call = Call(direction="outbound", recruiter_id=users["recruiter"].id,
                candidate_id=candidate.id, company_number=COMPANY_NUMBER, status="completed",
                recording_url="http://127.0.0.1:9/Recordings/RE1")  # fmt: skip
    session.add(call)
    # A team voicemail from an unknown caller: any recruiter may work its callback.
    voicemail = Call(direction="inbound", flow="unknown-caller", status="completed",
                     company_number=COMPANY_NUMBER, candidate_number="+15005550999",
                     is_voicemail=True)  # fmt: skip
    session.add(voicemail)
    session.flush()
    task = CallbackTask(voicemail_call_id=voicemail.id, caller_number="+15005550999")
    session.add(task)
    session.flush()
    # A closure call the recruiter owes, tried often enough to be closed by hand.
    owed = OwedCall(reason="closure", candidate_id=candidate.id, recruiter_id=users["recruiter"].id,
                    due_at=utcnow(), attempts=5)  # fmt: skip
    session.add(owed)
    session.commit()
    OWED_IDS[task.id] = owed.id
    return users, candidate, call, task


def _url(app, endpoint: str, candidate, call, users, task) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {"call_id": call.id, "candidate_id": candidate.id, "user_id": users["auditor"].id,
              "source": "ats", "external_id": "A-1", "task_id": task.id,
              "owed_id": OWED_IDS[task.id]}  # fmt: skip
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **{k: v for k, v in values.items() if k in rule.arguments})


def _snapshot(session) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table.name: sorted(
            (tuple(map(repr, row)) for row in session.execute(text(f"SELECT * FROM {table.name}"))),
        )
        for table in Base.metadata.sorted_tables
    }


def _form(users, candidate) -> dict[str, Any]:
    """A body each page's form accepts, so an allowed role is answered by the form itself."""
    return {
        "name": "Jane Doe", "phone": "(415) 555-0133", "stage": "screening",
        "owner_id": str(users["recruiter"].id), "candidate_ids": str(candidate.id),
        "reason": "checking who may", "text": "a note",
    }  # fmt: skip


def _request(app, api_token, method, url, user, body=None):
    client = app.test_client()
    headers = {}
    if url.startswith("/api/"):
        if user is not None:
            headers["Authorization"] = f"Bearer {api_token(user)}"
    elif user is not None:
        with client.session_transaction() as flask_session:
            flask_session["_user_id"] = str(user.id)
            flask_session["_fresh"] = True
    if method == "GET":
        return client.get(url, headers=headers)
    if url.startswith("/api/"):
        return client.open(url, method=method, headers=headers, json=body or DEFAULT_API_BODY)
    # A valid CSRF token, so what answers is the role check and not the CSRF guard.
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").text)
    assert token
    data: dict[str, Any] = {"csrf_token": token.group(1), **(body or {})}
    if url in UPLOADS:
        data["file"] = (io.BytesIO(UPLOADS[url]), "upload.csv")
    return client.post(url, headers=headers, data=data)


OWED_IDS: dict[int, int] = {}  # the people fixture's owed call, by its callback task's id
CASES = [(endpoint, role) for endpoint in MATRIX for role in (*ROLES, None)]


@pytest.mark.parametrize(
    ("endpoint", "role"), CASES, ids=[f"{e}-{r or 'anonymous'}" for e, r in CASES]
)
def test_role_matrix(app, api_token, session, people, endpoint, role):
    users, candidate, call, task = people
    method, allowed = MATRIX[endpoint]
    url = _url(app, endpoint, candidate, call, users, task)
    user = users[role] if role else None
    before = _snapshot(session)
    if user is not None:
        api_token(user)  # issue any token before the snapshot comparison starts
        before = _snapshot(session)

    body = API_BODIES.get(endpoint) if url.startswith("/api/") else _form(users, candidate)
    response = _request(app, api_token, method, url, user, body)

    if allowed == PUBLIC or (user is not None and role in allowed):
        assert response.status_code not in (401, 403), (url, role, response.status_code)
        if endpoint in API_BODIES:
            assert 200 <= response.status_code < 300, (url, role, response.json)
        if user is not None and not url.startswith("/api/") and endpoint != "web.logout":
            assert not response.headers.get("Location", "").startswith("/login")
        if url in UPLOADS:
            assert response.status_code == 200, response.text
            assert session.scalar(select(Candidate.name).where(Candidate.phone == "+14155550199"))
        return
    if user is None:
        if url.startswith("/api/"):
            assert response.status_code == 401
        else:
            assert response.status_code == 302
            assert response.headers["Location"].startswith("/login")
    else:
        assert response.status_code == 403, (url, role, response.status_code)
        if url.startswith("/api/"):
            assert "error" in response.json
    after = _snapshot(session)
    # The token issued for this request is the only row that may differ.
    after.pop("api_tokens", None)
    before.pop("api_tokens", None)
    assert after == before, f"{role} changed the database through a refused {method} {url}"
