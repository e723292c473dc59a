"""Settings come from the environment and bad ones stop start-up with one line naming them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ivr.config import SIMULATOR_API_BASE_URL, ConfigError, load_settings

TWILIO_ENV = {
    "TELEPHONY": "twilio",
    "TWILIO_ACCOUNT_SID": "AC" + "a" * 32,
    "TWILIO_AUTH_TOKEN": "live-token",
    "TWILIO_PHONE_NUMBER": "+14155550100",
    "PUBLIC_BASE_URL": "https://ivr.example.com",
    "SECRET_KEY": "a-long-enough-secret-key",
}


def test_defaults_to_simulator_when_no_twilio_credentials():
    settings = load_settings({})

    assert settings.telephony == "simulator"
    assert settings.twilio_api_base_url == SIMULATOR_API_BASE_URL
    assert settings.database_url.startswith("sqlite:///")
    assert settings.database_url.endswith("instance/ivr.sqlite3")


def test_twilio_mode_reads_every_setting():
    settings = load_settings({**TWILIO_ENV, "TWILIO_PHONE_NUMBER": "+1 (415) 555-0100"})

    assert settings.telephony == "twilio"
    assert settings.twilio_phone_number == "+14155550100"
    assert settings.twilio_api_base_url == "https://api.twilio.com"
    assert "live-token" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("TWILIO_AUTH_TOKEN", "", "TWILIO_AUTH_TOKEN is required"),
        ("TWILIO_PHONE_NUMBER", "", "TWILIO_PHONE_NUMBER is required"),
        ("TWILIO_PHONE_NUMBER", "555-CALL", "TWILIO_PHONE_NUMBER must be a valid E.164"),
        ("TWILIO_ACCOUNT_SID", "XX123", "TWILIO_ACCOUNT_SID must be 'AC'"),
        ("PUBLIC_BASE_URL", "", "PUBLIC_BASE_URL is required"),
        ("PUBLIC_BASE_URL", "http://ivr.example.com", "PUBLIC_BASE_URL must be an https URL"),
        ("PUBLIC_BASE_URL", "ivr.example.com", "PUBLIC_BASE_URL must be an http(s) URL"),
        ("SECRET_KEY", "", "SECRET_KEY is required"),
        ("SECRET_KEY", "short", "SECRET_KEY must be at least 16"),
        ("TELEPHONY", "pstn", "TELEPHONY must be 'twilio' or 'simulator'"),
        ("TWILIO_API_BASE_URL", "localhost:5050", "TWILIO_API_BASE_URL must be an http(s) URL"),
        ("BUSINESS_TIMEZONE", "Mars/Olympus", "BUSINESS_TIMEZONE 'Mars/Olympus' is not a known"),
        ("PROXY_COUNT", "many", "PROXY_COUNT must be a whole number"),
    ],
)
def test_bad_setting_is_named_in_one_line(name, value, expected):
    with pytest.raises(ConfigError) as caught:
        load_settings({**TWILIO_ENV, name: value})

    message = str(caught.value)
    assert message.startswith(f"configuration error: {expected}")
    assert "\n" not in message
    assert caught.value.name == name


def test_secrets_are_not_echoed_in_errors():
    with pytest.raises(ConfigError) as caught:
        load_settings({**TWILIO_ENV, "SECRET_KEY": "tiny-secret"})

    assert "tiny-secret" not in str(caught.value)


def test_wsgi_start_up_stops_with_one_clear_line_on_bad_setting():
    env = {"PATH": "/usr/bin:/bin", "TWILIO_PHONE_NUMBER": "not-a-number"}

    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"], env=env, capture_output=True, text=True, check=False
    )

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "configuration error: TWILIO_PHONE_NUMBER must be a valid E.164 phone number like "
        "+14155550100, not 'not-a-number'"
    ]
