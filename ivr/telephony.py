"""The one gateway to the phone network: place and end calls over Twilio's REST API."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import requests
from flask import Flask, current_app, has_request_context
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from ivr.config import Settings
from ivr.urls import webhook_url

log = logging.getLogger(__name__)

CALL_PROGRESS_EVENTS = ("initiated", "ringing", "answered", "completed")


class TelephonyError(Exception):
    """The phone network refused or could not be reached; str() is safe to show a user."""


@dataclass(frozen=True)
class PlacedCall:
    sid: str
    status: str


class TelephonyGateway:
    def __init__(self, settings: Settings) -> None:
        self.from_number = settings.twilio_phone_number
        self._api_base = settings.twilio_api_base_url
        self._public_base = settings.public_base_url
        self._auth = (settings.twilio_account_sid, settings.twilio_auth_token)
        self._client = Client(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            http_client=TwilioHttpClient(timeout=10),
        )
        # The same REST client talks to Twilio or to the local simulator; only the base differs.
        self._client.api.base_url = settings.twilio_api_base_url

    def place_call(
        self,
        *,
        to: str,
        url: str,
        status_callback: str,
        status_events: Sequence[str] = CALL_PROGRESS_EVENTS,
        ring_timeout: int = 30,
    ) -> PlacedCall:
        try:
            call = self._client.calls.create(
                to=to,
                from_=self.from_number,
                url=url,
                method="POST",
                status_callback=status_callback,
                status_callback_method="POST",
                status_callback_event=list(status_events),
                timeout=ring_timeout,
                # When our webhook fails, Twilio asks the fallback URL rather than hanging up
                # with its own error message (FallbackUrl of Create a Call,
                # https://www.twilio.com/docs/voice/api/call-resource#create-a-call-resource).
                fallback_url=self._fallback_url(),
                fallback_method="POST",
            )
        except TwilioRestException as exc:
            log.warning("place_call refused: %s (code %s)", exc.msg, exc.code)
            raise TelephonyError(f"the phone network refused the call: {exc.msg}") from exc
        except (TwilioException, OSError) as exc:
            log.warning("place_call failed: %s", type(exc).__name__)
            raise TelephonyError("the phone network could not be reached") from exc
        log.info("placed call call_sid=%s status=%s", call.sid, call.status)
        return PlacedCall(sid=call.sid or "", status=call.status or "queued")

    def _fallback_url(self) -> str:
        """Our /voice/fallback, absolute: also outside a request (a worker), on PUBLIC_BASE_URL."""
        if has_request_context() or not self._public_base:
            return webhook_url("voice.fallback")
        path = current_app.url_map.bind("localhost").build("voice.fallback")
        return self._public_base + path

    def hang_up(self, sid: str) -> None:
        try:
            self._client.calls(sid).update(status="completed")
        except TwilioRestException as exc:
            log.warning("hang-up refused call_sid=%s: %s", sid, exc.msg)
            raise TelephonyError(f"the phone network refused: {exc.msg}") from exc
        except (TwilioException, OSError) as exc:
            raise TelephonyError("the phone network could not be reached") from exc

    def fetch_recording(self, recording_url: str) -> bytes:
        """The audio of a recording, fetched with the account's credentials (WAV)."""
        # Only our own REST base: a stored URL must never make us send credentials elsewhere.
        if not recording_url.startswith(self._api_base + "/"):
            raise TelephonyError("that recording is not stored with our phone provider")
        try:
            response = requests.get(recording_url + ".wav", auth=self._auth, timeout=10)
        except requests.RequestException as exc:
            raise TelephonyError("the phone network could not be reached") from exc
        if response.status_code != 200:
            raise TelephonyError(f"the recording could not be fetched ({response.status_code})")
        return response.content


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions["telephony"] = TelephonyGateway(settings)


def gateway() -> TelephonyGateway:
    return current_app.extensions["telephony"]
