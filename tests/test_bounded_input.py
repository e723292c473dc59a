"""Bounded input: request bodies past the limit, odd list filters and nested JSON are refused
with a reason naming what was wrong, never a 500."""

from __future__ import annotations

import base64

import pytest

from ivr.config import MAX_REQUEST_BYTES


@pytest.fixture
def recruiter(make_user):
    return make_user(name="Riley Recruiter")


@pytest.fixture
def auth(api_token, recruiter):
    return {"Authorization": f"Bearer {api_token(recruiter)}"}


def test_a_body_past_the_limit_is_413_with_a_json_reason(client, auth):
    body = b'{"candidate_id": "' + b"x" * MAX_REQUEST_BYTES + b'"}'

    response = client.post(
        "/api/v1/calls", data=body, content_type="application/json", headers=auth
    )

    assert response.status_code == 413
    assert response.json["error"]


def test_a_signed_webhook_past_the_limit_is_refused_unread(twilio_post, caplog):
    response = twilio_post("/voice/fallback", {"ErrorUrl": "x" * MAX_REQUEST_BYTES})

    # A caller hears the apology (Twilio reads any non-2xx as an application error).
    assert response.mimetype == "text/xml"
    assert "Sorry" in response.get_data(as_text=True)
    assert "answered 413" in caplog.text
    assert "xxxxxxxx" not in caplog.text


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"until": "9999-12-31"}, "until"),
        ({"since": "9999-12-31T23:59:59-12:00"}, "since"),
        ({"limit": "²"}, "limit"),
        ({"recruiter_id": "99999999999"}, "recruiter_id"),
        ({"cursor": base64.urlsafe_b64encode(b"[" * 50_000).decode()}, "cursor"),
    ],
)
def test_odd_list_filters_are_400_naming_the_field(client, auth, query, field):
    response = client.get("/api/v1/calls", query_string=query, headers=auth)

    assert response.status_code == 400
    assert response.json["field"] == field


@pytest.mark.parametrize("path", ["/api/v1/candidates", "/api/v1/calls"])
def test_a_nested_cursor_is_400_on_every_listing(client, auth, path):
    nested = base64.urlsafe_b64encode(b'{"k": ' + b"[" * 900 + b"]" * 900 + b"}").decode()

    response = client.get(path, query_string={"cursor": nested}, headers=auth)

    assert response.status_code == 400
    assert response.json["field"] == "cursor"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "body"),
        (b'{"candidate_id": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "body"),
        (b'{"candidate_id": {"a": {"b": {"c": [1, 2, {"d": 3}]}}}}', "candidate_id"),
    ],
)
def test_nested_json_is_400_naming_the_field(client, auth, body, field):
    response = client.post(
        "/api/v1/calls", data=body, content_type="application/json", headers=auth
    )

    assert response.status_code == 400
    assert response.json["field"] == field


# Numbers typed oddly: "²" passes str.isdigit() and int() refuses it; never a 500 ----------

ODD_NUMBERS = ("²", "١٢", "9" * 30)


def _signed_in_as(app, user):
    client = app.test_client()
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = user.get_id()
        flask_session["_fresh"] = True
    return client


@pytest.mark.parametrize("odd", ODD_NUMBERS)
def test_odd_numbers_in_page_and_api_arguments_are_not_errors(app, make_user, api_token, odd):
    admin, auditor, recruiter = make_user("admin"), make_user("auditor"), make_user()
    admin_pages = _signed_in_as(app, admin)
    auditor_pages = _signed_in_as(app, auditor)
    api = app.test_client()

    assert admin_pages.get("/admin/access", query_string={"before": odd}).status_code == 200
    assert auditor_pages.get("/log/changes", query_string={"before": odd}).status_code == 200
    for path, args, token in (
        ("/api/v1/access-records", {"before": odd}, api_token(admin)),
        ("/api/v1/access-records", {"limit": odd}, api_token(admin)),
        ("/api/v1/candidates", {"owner_id": odd}, api_token(recruiter)),
        ("/api/v1/candidates", {"not_called_days": odd}, api_token(recruiter)),
    ):
        response = api.get(path, query_string=args, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 400, (path, args)
        assert response.json["field"] == next(iter(args)), (path, args)


@pytest.mark.parametrize("odd", ODD_NUMBERS)
def test_odd_numbers_in_callback_forms_are_not_errors(app, session, make_user, odd):
    from models import Call, CallbackTask
    from tests.fixtures.twilio import COMPANY_NUMBER

    riley = make_user()
    voicemail = Call(direction="inbound", flow="unknown-caller", status="completed",
                     company_number=COMPANY_NUMBER, recruiter_id=riley.id)  # fmt: skip
    session.add(voicemail)
    session.flush()
    task = CallbackTask(voicemail_call_id=voicemail.id, recruiter_id=riley.id)
    session.add(task)
    session.commit()
    client = _signed_in_as(app, riley)

    attach = client.post(f"/calls/{voicemail.id}/attach", data={"candidate_id": odd})
    reassign = client.post(
        f"/callbacks/{task.id}/reassign", data={"recruiter_id": odd, "reason": "away"}
    )

    assert attach.status_code < 500
    assert reassign.status_code < 500
