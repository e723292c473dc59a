"""Settings come from the environment: every setting's good values read as meant, and a bad
one stops start-up with one line naming it."""

from __future__ import annotations

import pytest

from ivr.config import (
    DEV_SECRET_KEY,
    SIMULATOR_ACCOUNT_SID,
    SIMULATOR_API_BASE_URL,
    SIMULATOR_PHONE_NUMBER,
    ConfigError,
    load_settings,
)

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


# Every setting's good values -------------------------------------------------------------------


def test_simulator_mode_needs_no_account_and_uses_safe_defaults():
    settings = load_settings({})

    assert settings.twilio_account_sid == SIMULATOR_ACCOUNT_SID
    assert settings.twilio_phone_number == SIMULATOR_PHONE_NUMBER
    assert settings.secret_key == DEV_SECRET_KEY
    assert settings.public_base_url is None
    assert (settings.timezone, settings.business_hours, settings.business_days) == (
        "UTC",
        "09:00-18:00",
        "mon,tue,wed,thu,fri",
    )
    assert (settings.proxy_count, settings.testing, settings.mask_phone_numbers_in_exports) == (
        0,
        False,
        False,
    )
    assert (settings.default_phone_region, settings.company_name) == ("US", "the recruiting team")


def test_twilio_credentials_without_telephony_mean_twilio_mode():
    env = {key: value for key, value in TWILIO_ENV.items() if key != "TELEPHONY"}

    assert load_settings(env).telephony == "twilio"


@pytest.mark.parametrize(
    ("name", "value", "attribute", "expected"),
    [
        (
            "DATABASE_URL",
            "postgresql+psycopg://ivr@db/ivr",
            "database_url",
            "postgresql+psycopg://ivr@db/ivr",
        ),
        ("TELEPHONY", "simulator", "telephony", "simulator"),
        ("TWILIO_PHONE_NUMBER", "+44 20 7946 0958", "twilio_phone_number", "+442079460958"),
        (
            "TWILIO_API_BASE_URL",
            "http://127.0.0.1:5051/",
            "twilio_api_base_url",
            "http://127.0.0.1:5051",
        ),
        ("PUBLIC_BASE_URL", "http://localhost:5000/", "public_base_url", "http://localhost:5000"),
        ("SECRET_KEY", "sixteen-chars-ok", "secret_key", "sixteen-chars-ok"),
        ("BUSINESS_TIMEZONE", "Europe/London", "timezone", "Europe/London"),
        ("COMPANY_NAME", "Acme Talent", "company_name", "Acme Talent"),
        ("BUSINESS_HOURS", "08:30-17:45", "business_hours", "08:30-17:45"),
        ("BUSINESS_HOURS", "00:00-24:00", "business_hours", "00:00-24:00"),
        ("BUSINESS_HOURS", "22:00-00:00", "business_hours", "22:00-00:00"),
        ("BUSINESS_DAYS", "mon-sun", "business_days", "mon,tue,wed,thu,fri,sat,sun"),
        ("BUSINESS_DAYS", "fri,mon,wed", "business_days", "mon,wed,fri"),
        ("BUSINESS_DAYS", "Mon-Tue, Sat", "business_days", "mon,tue,sat"),
        ("BUSINESS_DAYS", "mon-wed,tue-thu", "business_days", "mon,tue,wed,thu"),
        ("PROXY_COUNT", "0", "proxy_count", 0),
        ("PROXY_COUNT", "5", "proxy_count", 5),
        ("TESTING", "1", "testing", True),
        ("TESTING", "off", "testing", False),
        ("DEFAULT_PHONE_REGION", "gb", "default_phone_region", "GB"),
        ("MASK_PHONE_NUMBERS_IN_EXPORTS", "Yes", "mask_phone_numbers_in_exports", True),
        ("MASK_PHONE_NUMBERS_IN_EXPORTS", "false", "mask_phone_numbers_in_exports", False),
        ("DATABASE_TIMEOUT", "3", "database_timeout", 3),
        ("OWED_CALL_DUE_BUSINESS_DAYS", "5", "owed_call_due_business_days", 5),
        ("OWED_CALL_MAX_ATTEMPTS", "2", "owed_call_max_attempts", 2),
        ("CALLING_HOURS", "08:00-21:00", "calling_hours", "08:00-21:00"),
        ("CALLING_DAYS", "mon-sat", "calling_days", "mon,tue,wed,thu,fri,sat"),
        ("SPOOL_PATH", "/var/spool/ivr.sqlite3", "spool_path", "/var/spool/ivr.sqlite3"),
        (
            "AUDIT_HEADS_TARGET",
            "https://log.example/heads",
            "audit_heads_target",
            "https://log.example/heads",
        ),  # fmt: skip
    ],
)
def test_good_setting_is_read_as_meant(name, value, attribute, expected):
    settings = load_settings({name: value})

    assert getattr(settings, attribute) == expected


def test_owed_calls_default_to_three_business_days_and_three_attempts():
    settings = load_settings({})

    assert (settings.owed_call_due_business_days, settings.owed_call_max_attempts) == (3, 3)


def test_candidates_are_called_on_weekdays_from_9_to_8_their_time_by_default():
    settings = load_settings({})

    assert (settings.calling_hours, settings.calling_days) == ("09:00-20:00", "mon,tue,wed,thu,fri")


def test_spaces_around_a_setting_are_ignored():
    settings = load_settings({"BUSINESS_TIMEZONE": "  Europe/London\n", "PROXY_COUNT": " 2 "})

    assert (settings.timezone, settings.proxy_count) == ("Europe/London", 2)


@pytest.mark.parametrize(
    ("public_base_url", "secure"),
    [(None, False), ("http://localhost:5000", False), ("https://ivr.example.com", True)],
)
def test_session_cookie_is_secure_only_behind_https(public_base_url, secure):
    env = {"PUBLIC_BASE_URL": public_base_url} if public_base_url else {}

    flask_config = load_settings(env).to_flask()

    assert flask_config["SESSION_COOKIE_SECURE"] is secure
    assert flask_config["SESSION_COOKIE_HTTPONLY"] is True


# Every setting's bad values, in simulator mode ------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("TELEPHONY", "Twilio", "TELEPHONY must be 'twilio' or 'simulator'"),
        ("TWILIO_ACCOUNT_SID", "AC123", "TWILIO_ACCOUNT_SID must be 'AC'"),
        ("TWILIO_PHONE_NUMBER", "+1555", "TWILIO_PHONE_NUMBER must be a valid E.164"),
        ("TWILIO_API_BASE_URL", "ftp://twilio.example", "TWILIO_API_BASE_URL must be an http(s)"),
        ("PUBLIC_BASE_URL", "https://ivr.example.com/app", "PUBLIC_BASE_URL must be an origin"),
        ("PUBLIC_BASE_URL", "https://ivr.example.com?x=1", "PUBLIC_BASE_URL must be an origin"),
        ("PUBLIC_BASE_URL", "https://", "PUBLIC_BASE_URL must be an http(s) URL"),
        ("SECRET_KEY", "fifteen-chars..", "SECRET_KEY must be at least 16"),
        ("BUSINESS_TIMEZONE", "EST5EDT6", "BUSINESS_TIMEZONE 'EST5EDT6' is not a known"),
        ("BUSINESS_TIMEZONE", "../etc/passwd", "BUSINESS_TIMEZONE '../etc/passwd' is not a known"),
        ("BUSINESS_HOURS", "9-5", "BUSINESS_HOURS must look like 09:00-18:00"),
        ("BUSINESS_HOURS", "09:00", "BUSINESS_HOURS must look like 09:00-18:00"),
        ("BUSINESS_HOURS", "18:00-09:00", "BUSINESS_HOURS must look like 09:00-18:00"),
        ("BUSINESS_HOURS", "09:00-09:00", "BUSINESS_HOURS must look like 09:00-18:00"),
        ("BUSINESS_HOURS", "25:00-26:00", "BUSINESS_HOURS must look like 09:00-18:00"),
        ("BUSINESS_HOURS", "09:60-10:00", "BUSINESS_HOURS must look like 09:00-18:00"),
        ("BUSINESS_HOURS", "09:0-10:00", "BUSINESS_HOURS must look like 09:00-18:00"),
        ("BUSINESS_HOURS", "24:00-00:00", "BUSINESS_HOURS must look like 09:00-18:00"),
        ("BUSINESS_HOURS", "09:00-24:30", "BUSINESS_HOURS must look like 09:00-18:00"),
        ("BUSINESS_HOURS", "9:00-18:00", "BUSINESS_HOURS must look like 09:00-18:00"),
        ("BUSINESS_HOURS", "nine-five", "BUSINESS_HOURS must look like 09:00-18:00"),
        ("BUSINESS_DAYS", "weekdays", "BUSINESS_DAYS must look like mon-fri"),
        ("BUSINESS_DAYS", "fri-mon", "BUSINESS_DAYS must look like mon-fri"),
        ("BUSINESS_DAYS", "mon,,fri", "BUSINESS_DAYS must look like mon-fri"),
        ("BUSINESS_DAYS", "mon-funday", "BUSINESS_DAYS must look like mon-fri"),
        ("PROXY_COUNT", "6", "PROXY_COUNT must be a whole number from 0 to 5"),
        ("PROXY_COUNT", "-1", "PROXY_COUNT must be a whole number from 0 to 5"),
        ("PROXY_COUNT", "1.5", "PROXY_COUNT must be a whole number from 0 to 5"),
        ("TESTING", "maybe", "TESTING must be true or false"),
        ("DEFAULT_PHONE_REGION", "USA", "DEFAULT_PHONE_REGION must be a two-letter region"),
        ("DEFAULT_PHONE_REGION", "XX", "DEFAULT_PHONE_REGION must be a two-letter region"),
        ("MASK_PHONE_NUMBERS_IN_EXPORTS", "sometimes", "MASK_PHONE_NUMBERS_IN_EXPORTS must be"),
        ("DATABASE_TIMEOUT", "0", "DATABASE_TIMEOUT must be a whole number from 1 to 60"),
        ("DATABASE_TIMEOUT", "ten", "DATABASE_TIMEOUT must be a whole number from 1 to 60"),
        ("OWED_CALL_DUE_BUSINESS_DAYS", "0", "OWED_CALL_DUE_BUSINESS_DAYS must be a whole"),
        ("OWED_CALL_MAX_ATTEMPTS", "many", "OWED_CALL_MAX_ATTEMPTS must be a whole number"),
        ("CALLING_HOURS", "9-5", "CALLING_HOURS must look like 09:00-18:00"),
        ("CALLING_DAYS", "weekdays", "CALLING_DAYS must look like mon-fri"),
    ],
)
def test_bad_setting_is_named_in_one_line_in_simulator_mode(name, value, expected):
    with pytest.raises(ConfigError) as caught:
        load_settings({"TELEPHONY": "simulator", name: value})

    message = str(caught.value)
    assert message.startswith(f"configuration error: {expected}")
    assert "\n" not in message
    assert caught.value.name == name


def test_the_spool_sits_beside_a_sqlite_database_and_in_the_instance_folder_otherwise():
    beside = load_settings({"DATABASE_URL": "sqlite:////srv/ivr/ivr.sqlite3"})
    server = load_settings({"DATABASE_URL": "postgresql+psycopg://ivr@db/ivr"})

    assert beside.spool_path == "/srv/ivr/ivr.sqlite3.spool"
    assert server.spool_path.endswith("instance/webhook-spool.sqlite3")
    assert load_settings({}).database_timeout == 10
