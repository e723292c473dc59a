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
