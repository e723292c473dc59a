"""Webhooks must carry Twilio's signature for the URL Twilio used; the API wants a bearer token."""

from __future__ import annotations

import logging

import pytest

from ivr import create_app
from tests.fixtures.app import base_env
from tests.fixtures.twilio import ACCOUNT_SID, AUTH_TOKEN, sign

PARAMS = {"AccountSid": ACCOUNT_SID, "CallSid": "CA" + "f" * 32, "ErrorCode": "11200"}


def signed_headers(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> dict[str, str]:
    return {"X-Twilio-Signature": sign(url, params, token)}


def test_signed_webhook_is_accepted(twilio_post):
    response = twilio_post("/voice/fallback", PARAMS)

    assert response.status_code == 200
    assert response.mimetype == "text/xml"


def test_unsigned_webhook_is_refused_and_logged(client, caplog):
    caplog.set_level(logging.WARNING, logger="ivr.security")

    response = client.post("/voice/fallback", data=PARAMS)

    assert response.status_code == 403
    assert "refused webhook with no signature: POST /voice/fallback" in caplog.text


def test_signature_from_another_auth_token_is_refused(client):
    headers = signed_headers("http://localhost/voice/fallback", PARAMS, token="someone-else")

    response = client.post("/voice/fallback", data=PARAMS, headers=headers)

    assert response.status_code == 403


def test_tampered_parameters_are_refused(client):
    headers = signed_headers("http://localhost/voice/fallback", PARAMS)

    response = client.post("/voice/fallback", data={**PARAMS, "ErrorCode": "0"}, headers=headers)

    assert response.status_code == 403


def test_signature_for_another_url_is_refused(client):
    headers = signed_headers("http://localhost/voice/incoming", PARAMS)

    response = client.post("/voice/fallback", data=PARAMS, headers=headers)

    assert response.status_code == 403


def test_signature_is_checked_on_the_query_string_too(client):
    headers = signed_headers("http://localhost/voice/fallback?attempt=1", PARAMS)

    response = client.post("/voice/fallback?attempt=2", data=PARAMS, headers=headers)

    assert response.status_code == 403


@pytest.fixture
def proxied_client(database_url):
    def make(**env: str):
        app = create_app(base_env(database_url, **env))
        return app.test_client()

    return make


def test_signature_on_public_https_url_is_accepted_behind_a_tls_proxy(proxied_client):
    client = proxied_client(PUBLIC_BASE_URL="https://ivr.example.com")
    headers = signed_headers("https://ivr.example.com/voice/fallback?x=1", PARAMS)

    # The proxy terminated TLS: the app itself sees plain http on an internal host.
    response = client.post("/voice/fallback?x=1", data=PARAMS, headers=headers)

    assert response.status_code == 200


def test_signature_on_internal_url_is_refused_when_public_url_is_configured(proxied_client):
    client = proxied_client(PUBLIC_BASE_URL="https://ivr.example.com")
    headers = signed_headers("http://localhost/voice/fallback", PARAMS)

    response = client.post("/voice/fallback", data=PARAMS, headers=headers)

    assert response.status_code == 403


def test_forwarded_https_headers_are_trusted_when_proxy_count_is_set(proxied_client):
    client = proxied_client(PROXY_COUNT="1")
    headers = signed_headers("https://ivr.example.com/voice/fallback", PARAMS)
    headers |= {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "ivr.example.com"}

    response = client.post("/voice/fallback", data=PARAMS, headers=headers)

    assert response.status_code == 200


def test_forwarded_headers_are_ignored_without_a_proxy(proxied_client):
    client = proxied_client()
    headers = signed_headers("https://ivr.example.com/voice/fallback", PARAMS)
    headers |= {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "ivr.example.com"}

    response = client.post("/voice/fallback", data=PARAMS, headers=headers)

    assert response.status_code == 403


def test_fallback_answers_an_apology_in_valid_twiml(twilio_post):
    import xml.etree.ElementTree as ET

    response = twilio_post("/voice/fallback", PARAMS)

    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    assert [child.tag for child in root] == ["Say", "Hangup"]
    assert "Sorry" in (root.find("Say").text or "")
