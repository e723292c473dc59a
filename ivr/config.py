"""Settings from the environment (the only module that reads os.environ), and settings(): the
one way the running app's are read."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from flask import current_app
from sqlalchemy.engine import make_url

TWILIO_API_BASE_URL = "https://api.twilio.com"
# The simulator signs webhooks with this token when no Twilio account is configured; it never
# protects anything real because in simulator mode no call leaves the machine.
SIMULATOR_ACCOUNT_SID = "AC" + "0" * 32
SIMULATOR_AUTH_TOKEN = "simulator-auth-token"
SIMULATOR_PHONE_NUMBER = "+15005550006"
SIMULATOR_API_BASE_URL = "http://127.0.0.1:5050"
DEV_SECRET_KEY = "dev-only-secret-key-not-for-production"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The largest request body the app reads: a candidate CSV upload (that page only). Webhooks,
# forms and API bodies are far smaller: anything past MAX_REQUEST_BYTES is refused (413)
# before it is read.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_REQUEST_BYTES = 1024 * 1024
UPLOAD_LIMIT_KEY = "IVR_MAX_UPLOAD_BYTES"
# Where the running app keeps its Settings; read them with settings().
FLASK_KEY = "IVR_SETTINGS"


class ConfigError(Exception):
    """A required setting is missing or malformed; str() is one line naming it."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"configuration error: {name} {problem}")
        self.name = name


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    public_base_url: str | None
    telephony: str
    twilio_account_sid: str
    twilio_auth_token: str = field(repr=False)
    twilio_phone_number: str
    twilio_api_base_url: str
    timezone: str = "UTC"
    company_name: str = "the recruiting team"
    business_hours: str = "09:00-18:00"
    business_days: str = "mon-fri"
    mask_phone_numbers_in_exports: bool = False
    # How a number typed without a country code is read: "020 7946 0958" is London under GB.
    default_phone_region: str = "US"
    # How many reverse proxies stand in front (X-Forwarded-* headers trusted from that many hops).
    proxy_count: int = 0
    testing: bool = False
    # The webhook spool (ivr.spool): a local SQLite file, never the main database.
    spool_path: str = ""
    # Where the chains' heads are published (ivr.heads): a file path or an http(s) URL.
    audit_heads_target: str = ""
    # The longest wait on the database in a request, in seconds (connect, lock, statement).
    database_timeout: float = 10.0
    # The secret of a Twilio SharedKey that signs webhooks instead of the Auth Token (Twilio's
    # Webhooks configuration API; see ivr.security). None: only Auth Token signatures.
    twilio_webhook_signing_key: str | None = field(default=None, repr=False)
    # The owed-calls queue: a closure call is due this many business days (BUSINESS_DAYS, in
    # BUSINESS_TIMEZONE) after the decision; after this many attempts it may be closed by hand.
    owed_call_due_business_days: int = 3
    owed_call_max_attempts: int = 3
    # The calling window: when, on the candidate's own clock (their timezone), a call to them
    # may be placed; outside it a recruiter may still call, giving a reason that is logged.
    calling_hours: str = "09:00-20:00"
    calling_days: str = "mon,tue,wed,thu,fri"
    # Where sign-in rate-limit counters live: memory:// (one process) or redis://... (shared).
    rate_limit_storage_uri: str = field(default="memory://", repr=False)
    # The task queue (ivr.tasks): Huey on Redis when redis_url is set, else on a SQLite file.
    redis_url: str | None = None
    tasks_db: str = ""
    # Run every task at once, in the caller (tests); no worker needed.
    tasks_eager: bool = False
    # Seconds the REST client waits for Twilio (connect and read each).
    twilio_http_timeout: float = 10.0
    # A call not final and not heard of for this long is checked against the REST API.
    reconcile_after_seconds: int = 120

    def to_flask(self) -> dict[str, object]:
        return {
            "SECRET_KEY": self.secret_key,
            "TESTING": self.testing,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": bool(
                self.public_base_url and self.public_base_url.startswith("https://")
            ),
            FLASK_KEY: self,
            "MAX_CONTENT_LENGTH": MAX_REQUEST_BYTES,
            UPLOAD_LIMIT_KEY: MAX_UPLOAD_BYTES,
        }


def settings() -> Settings:
    """The running app's settings: the one way code inside a request or an app context
    reads them."""
    return cast(Settings, current_app.config[FLASK_KEY])


# The production entry (wsgi.py, the Docker image) starts only with explicit settings: a real
# SECRET_KEY and a Twilio account. IVR_DEV_MODE=1 (bin/run sets it) allows the dev key and
# the simulator.
DEV_MODE_SETTING = "IVR_DEV_MODE"


def refuse_dev_defaults(settings: Settings, env: Mapping[str, str] | None = None) -> None:
    """Raise ConfigError if these settings would run production on development defaults
    (the simulator, the dev secret key), unless IVR_DEV_MODE opts in."""
    env = os.environ if env is None else env
    if _bool_setting(DEV_MODE_SETTING, env.get(DEV_MODE_SETTING, "").strip()):
        return
    opt_in = f"(or set {DEV_MODE_SETTING}=1 to run with development defaults)"
    if not env.get("SECRET_KEY", "").strip() or settings.secret_key == DEV_SECRET_KEY:
        raise ConfigError("SECRET_KEY", f"must be set explicitly in production {opt_in}")
    if settings.telephony != "twilio":
        raise ConfigError(
            "TELEPHONY",
            "is the simulator: production needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, "
            f"TWILIO_PHONE_NUMBER and PUBLIC_BASE_URL {opt_in}",
        )


def default_database_url() -> str:
    instance = PROJECT_ROOT / "instance"
    return f"sqlite:///{instance / 'ivr.sqlite3'}"


def default_spool_path(database_url: str) -> str:
    """Beside a SQLite database file; for a server database, in the instance folder."""
    if database_url.startswith("sqlite:///") and not database_url.endswith(":memory:"):
        return database_url.removeprefix("sqlite:///") + ".spool"
    return str(PROJECT_ROOT / "instance" / "webhook-spool.sqlite3")


def default_tasks_db(database_url: str) -> str:
    """The queue's SQLite file: next to a SQLite database, else in the instance folder."""
    parsed = make_url(database_url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return str(Path(parsed.database or "").with_name("tasks.sqlite3"))
    return str(PROJECT_ROOT / "instance" / "tasks.sqlite3")


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from an environment mapping, refusing bad values with one clear line."""
    env = os.environ if env is None else env

    def get(name: str) -> str:
        return env.get(name, "").strip()

    sid, token, number = (
        get("TWILIO_ACCOUNT_SID"),
        get("TWILIO_AUTH_TOKEN"),
        get("TWILIO_PHONE_NUMBER"),
    )
    telephony = get("TELEPHONY") or ("twilio" if sid or token else "simulator")
    if telephony not in ("twilio", "simulator"):
        raise ConfigError("TELEPHONY", f"must be 'twilio' or 'simulator', not {telephony!r}")

    if telephony == "twilio":
        for name, value in (("TWILIO_ACCOUNT_SID", sid), ("TWILIO_AUTH_TOKEN", token)):
            if not value:
                raise ConfigError(name, "is required when TELEPHONY=twilio")
        if not number:
            raise ConfigError("TWILIO_PHONE_NUMBER", "is required when TELEPHONY=twilio")
        api_base = get("TWILIO_API_BASE_URL") or TWILIO_API_BASE_URL
    else:
        sid = sid or SIMULATOR_ACCOUNT_SID
        token = token or SIMULATOR_AUTH_TOKEN
        number = number or SIMULATOR_PHONE_NUMBER
        api_base = get("TWILIO_API_BASE_URL") or SIMULATOR_API_BASE_URL

    if not (sid.startswith("AC") and len(sid) == 34):
        raise ConfigError("TWILIO_ACCOUNT_SID", "must be 'AC' followed by 32 characters")
    number = _e164_setting("TWILIO_PHONE_NUMBER", number)
    api_base = _url_setting("TWILIO_API_BASE_URL", api_base).rstrip("/")

    public = get("PUBLIC_BASE_URL") or None
    if public is not None:
        public = _url_setting("PUBLIC_BASE_URL", public).rstrip("/")
        if urlsplit(public).path or urlsplit(public).query:
            raise ConfigError("PUBLIC_BASE_URL", "must be an origin like https://ivr.example.com")
        if telephony == "twilio" and not public.startswith("https://"):
            raise ConfigError("PUBLIC_BASE_URL", "must be an https URL when TELEPHONY=twilio")
    elif telephony == "twilio":
        raise ConfigError("PUBLIC_BASE_URL", "is required when TELEPHONY=twilio")

    secret = get("SECRET_KEY")
    if not secret:
        if telephony == "twilio":
            raise ConfigError("SECRET_KEY", "is required when TELEPHONY=twilio")
        secret = DEV_SECRET_KEY
    elif len(secret) < 16:
        raise ConfigError("SECRET_KEY", "must be at least 16 characters long")

    tz = get("BUSINESS_TIMEZONE") or "UTC"
    company = get("COMPANY_NAME") or "the recruiting team"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError("BUSINESS_TIMEZONE", f"{tz!r} is not a known IANA timezone") from None

    database_url = get("DATABASE_URL") or default_database_url()
    redis_url = get("REDIS_URL") or None
    if redis_url is not None and urlsplit(redis_url).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError("REDIS_URL", f"must be a redis:// URL, not {redis_url!r}")
    return Settings(
        database_url=database_url,
        spool_path=get("SPOOL_PATH") or default_spool_path(database_url),
        audit_heads_target=get("AUDIT_HEADS_TARGET"),
        database_timeout=_int_setting("DATABASE_TIMEOUT", get("DATABASE_TIMEOUT") or "10", 1, 60),
        redis_url=redis_url,
        tasks_db=get("TASKS_DB") or default_tasks_db(database_url),
        tasks_eager=_bool_setting("TASKS_EAGER", get("TASKS_EAGER")),
        twilio_http_timeout=_float_setting(
            "TWILIO_HTTP_TIMEOUT", get("TWILIO_HTTP_TIMEOUT") or "10", 0.1, 60.0
        ),
        reconcile_after_seconds=_int_setting(
            "RECONCILE_AFTER_SECONDS", get("RECONCILE_AFTER_SECONDS") or "120", 0, 86400
        ),
        secret_key=secret,
        public_base_url=public,
        telephony=telephony,
        twilio_account_sid=sid,
        twilio_auth_token=token,
        twilio_phone_number=number,
        twilio_api_base_url=api_base,
        timezone=tz,
        company_name=company,
        business_hours=_hours_setting("BUSINESS_HOURS", get("BUSINESS_HOURS") or "09:00-18:00"),
        business_days=_days_setting("BUSINESS_DAYS", get("BUSINESS_DAYS") or "mon-fri"),
        proxy_count=_int_setting("PROXY_COUNT", get("PROXY_COUNT") or "0", 0, 5),
        testing=_bool_setting("TESTING", get("TESTING")),
        default_phone_region=_region_setting(
            "DEFAULT_PHONE_REGION", get("DEFAULT_PHONE_REGION") or "US"
        ),
        mask_phone_numbers_in_exports=_bool_setting(
            "MASK_PHONE_NUMBERS_IN_EXPORTS", get("MASK_PHONE_NUMBERS_IN_EXPORTS")
        ),
        twilio_webhook_signing_key=get("TWILIO_WEBHOOK_SIGNING_KEY") or None,
        owed_call_due_business_days=_int_setting(
            "OWED_CALL_DUE_BUSINESS_DAYS", get("OWED_CALL_DUE_BUSINESS_DAYS") or "3", 1, 30
        ),
        owed_call_max_attempts=_int_setting(
            "OWED_CALL_MAX_ATTEMPTS", get("OWED_CALL_MAX_ATTEMPTS") or "3", 1, 10
        ),
        calling_hours=_hours_setting("CALLING_HOURS", get("CALLING_HOURS") or "09:00-20:00"),
        calling_days=_days_setting("CALLING_DAYS", get("CALLING_DAYS") or "mon-fri"),
        rate_limit_storage_uri=get("RATELIMIT_STORAGE_URI") or get("REDIS_URL") or "memory://",
    )


def _e164_setting(name: str, value: str) -> str:
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise ConfigError(
            name, f"must be a valid E.164 phone number like +14155550100, not {value!r}"
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _region_setting(name: str, value: str) -> str:
    region = value.upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(name, f"must be a two-letter region code like US or GB, not {value!r}")
    return region


def _url_setting(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(name, f"must be an http(s) URL, not {value!r}")
    return value


def _bool_setting(name: str, value: str) -> bool:
    if value.lower() in ("", "0", "false", "no", "off"):
        return False
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(name, f"must be true or false, not {value!r}")


def _int_setting(name: str, value: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise ConfigError(name, f"must be a whole number from {low} to {high}, not {value!r}")
    return number


def _float_setting(name: str, value: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise ConfigError(name, f"must be a number of seconds from {low} to {high}, not {value!r}")
    return number


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _days_setting(name: str, value: str) -> str:
    """'mon-fri' or 'mon,wed,fri' -> 'mon,tue,wed,thu,fri' (validated, in week order)."""
    days: set[str] = set()
    for part in value.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise ConfigError(name, f"must look like mon-fri or mon,wed,fri, not {value!r}")
        start, end = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        if end < start:
            raise ConfigError(name, f"must look like mon-fri or mon,wed,fri, not {value!r}")
        days.update(WEEKDAYS[start : end + 1])
    return ",".join(day for day in WEEKDAYS if day in days)


def _hours_setting(name: str, value: str) -> str:
    """09:00-18:00; the end may be 24:00 or 00:00 (midnight); nothing else past 23:59."""
    try:
        start, end = value.split("-")
        for part in (start, end):
            hour, minute = part.split(":")
            if len(hour) != 2 or len(minute) != 2 or not (hour + minute).isdigit():
                raise ValueError(part)
            if not (0 <= int(hour) <= 23 and 0 <= int(minute) < 60) and not (
                part is end and part == "24:00"
            ):
                raise ValueError(part)
        if end <= start and end != "00:00":
            raise ValueError(value)
    except ValueError:
        raise ConfigError(name, f"must look like 09:00-18:00, not {value!r}") from None
    return value
