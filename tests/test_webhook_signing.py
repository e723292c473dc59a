"""Issue 11, item 8: webhooks signed with a Twilio SharedKey (X-Twilio-Webhooks-Signature-Settings,
HMAC-SHA256) when TWILIO_WEBHOOK_SIGNING_KEY is set, and bodySHA256 on JSON bodies
(https://www.twilio.com/docs/usage/webhooks/webhook-shared-keys,
https://www.twilio.com/docs/usage/webhooks/webhooks-security)."""

from __future__ import annotations

import hashlib
import json

import pytest
from twilio.request_validator import RequestValidator

from ivr import create_app
from tests.fixtures.app import base_env
from tests.fixtures.twilio import ACCOUNT_SID, AUTH_TOKEN

SHARED_KEY = "shared-key-secret-9f8e7d6c5b4a"
SETTINGS = "key=webhooks_sharedkey_01hzzzzzzzzzzzzzzzzzzzzzzz,algorithm=HMAC_SHA256"
URL = "http://localhost/voice/fallback"
PARAMS = {"AccountSid": ACCOUNT_SID, "CallSid": "CA" + "f" * 32, "ErrorCode": "11200"}


@pytest.fixture
def app_env(database_url):
    return base_env(database_url, TWILIO_WEBHOOK_SIGNING_KEY=SHARED_KEY)


def shared_key_headers(url=URL, params=PARAMS, key=SHARED_KEY, settings=SETTINGS):
    signature = RequestValidator(key).compute_signature(url, params, "HMAC_SHA256")
    return {"X-Twilio-Signature": signature, "X-Twilio-Webhooks-Signature-Settings": settings}


def test_a_shared_key_signature_is_accepted(client):
    response = client.post("/voice/fallback", data=PARAMS, headers=shared_key_headers())

    assert response.status_code == 200


def test_a_forged_shared_key_signature_is_refused(client):
    forged = shared_key_headers(key="not-the-shared-key")

    assert client.post("/voice/fallback", data=PARAMS, headers=forged).status_code == 403


def test_a_shared_key_signature_over_other_parameters_is_refused(client):
    headers = shared_key_headers()

    response = client.post("/voice/fallback", data={**PARAMS, "ErrorCode": "0"}, headers=headers)

    assert response.status_code == 403


def test_the_auth_token_signed_as_if_it_were_the_shared_key_is_refused(client):
    # A SHA-256 signature claims the shared key: the Auth Token is not that key.
    headers = shared_key_headers(key=AUTH_TOKEN)

    assert client.post("/voice/fallback", data=PARAMS, headers=headers).status_code == 403


def test_auth_token_signatures_still_pass_while_rules_move_to_the_shared_key(twilio_post):
    # Twilio applies a Webhook Setting per URL rule: other webhooks keep the Auth Token.
    assert twilio_post("/voice/fallback", PARAMS).status_code == 200


def test_a_shared_key_signature_without_a_configured_key_is_refused(database_url):
    app = create_app(base_env(database_url))
    try:
        response = app.test_client().post(
            "/voice/fallback", data=PARAMS, headers=shared_key_headers()
        )
    finally:
        app.extensions["db_engine"].dispose()

    assert response.status_code == 403


# JSON bodies: the URL is signed, with the body's SHA-256 in its bodySHA256 parameter --------


def json_post(client, body: str, body_hash: str, token=AUTH_TOKEN):
    url = f"{URL}?bodySHA256={body_hash}"
    signature = RequestValidator(token).compute_signature(url, {})
    return client.post(url.removeprefix("http://localhost"), data=body,
                       content_type="application/json",
                       headers={"X-Twilio-Signature": signature})  # fmt: skip


BODY = json.dumps({"AccountSid": ACCOUNT_SID, "CallSid": "CA" + "f" * 32})


def test_a_json_body_with_its_right_sha256_is_accepted(client):
    response = json_post(client, BODY, hashlib.sha256(BODY.encode()).hexdigest())

    assert response.status_code == 200


def test_a_json_body_that_is_not_the_one_hashed_is_refused(client):
    other = hashlib.sha256(b'{"CallSid": "CA0"}').hexdigest()

    # The URL (with its bodySHA256) is signed right; the body is not the one it names.
    assert json_post(client, BODY, other).status_code == 403


def test_a_json_body_without_bodysha256_is_refused(client):
    signature = RequestValidator(AUTH_TOKEN).compute_signature(URL, {})

    response = client.post("/voice/fallback", data=BODY, content_type="application/json",
                           headers={"X-Twilio-Signature": signature})  # fmt: skip

    assert response.status_code == 403
