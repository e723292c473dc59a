"""Every answer carries the security headers; pages, JSON and exports are never cached."""

from __future__ import annotations

import pytest

from ivr import create_app
from tests.fixtures.app import base_env
from tests.fixtures.twilio import ACCOUNT_SID

CSP_PARTS = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "frame-ancestors 'none'",
)


def _assert_security_headers(response) -> None:
    csp = response.headers["Content-Security-Policy"]
    for part in CSP_PARTS:
        assert part in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer")


def test_the_login_page_has_security_headers_and_is_not_cached(client):
    response = client.get("/login")

    assert response.status_code == 200
    _assert_security_headers(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers  # plain http


def test_an_error_page_has_security_headers(client):
    response = client.get("/no-such-page")

    assert response.status_code == 404
    _assert_security_headers(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_the_api_and_the_csv_export_are_not_cached(client, make_user, api_token):
    token = api_token(make_user("auditor"))
    for path in ("/api/v1/calls", "/api/v1/calls.csv"):
        response = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, path
        response.get_data()
        _assert_security_headers(response)
        assert response.headers["Cache-Control"] == "no-store", path


def test_static_assets_keep_their_caching(client):
    with client.get("/assets/style.css") as response:
        assert response.status_code == 200
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "no-store" not in response.headers.get("Cache-Control", "")


def test_twiml_is_not_sniffed(twilio_post):
    response = twilio_post(
        "/voice/fallback",
        {"AccountSid": ACCOUNT_SID, "CallSid": "CA" + "f" * 32, "ErrorCode": "11200"},
    )

    assert response.mimetype == "text/xml"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_https_requests_get_hsts(client):
    response = client.get("/login", base_url="https://localhost")

    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.fixture
def https_app(database_url):
    app = create_app(base_env(database_url, PUBLIC_BASE_URL="https://ivr.example.com"))
    yield app
    app.extensions["db_engine"].dispose()


def test_hsts_when_the_public_address_is_https(https_app):
    response = https_app.test_client().get("/login")

    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_template_has_inline_script_or_style():
    """The policy has no 'unsafe-inline': an inline script or style would be blocked."""
    import re
    from pathlib import Path

    templates = Path(__file__).resolve().parent.parent / "ivr" / "web" / "templates"
    for template in templates.glob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template.name
        assert "<style" not in text, template.name
        assert not re.search(r"\sstyle=", text), template.name
        assert not re.search(r"\son[a-z]+=", text), template.name
