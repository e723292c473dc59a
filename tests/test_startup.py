"""A bad setting stops the service's start-up with one line naming it, and no traceback."""

from __future__ import annotations

import subprocess
import sys


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


def _start(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": "sqlite://", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_start_up_refuses_an_empty_environment():
    result = _start()

    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("configuration error: SECRET_KEY must be set explicitly in production")
    assert "IVR_DEV_MODE=1" in line


def test_production_start_up_refuses_the_simulator():
    result = _start(SECRET_KEY="a-real-secret-key-0123456789")

    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("configuration error: TELEPHONY is the simulator")


def test_production_start_up_refuses_the_dev_secret_key_even_when_spelled_out():
    from ivr.config import DEV_SECRET_KEY

    result = _start(SECRET_KEY=DEV_SECRET_KEY)

    assert result.returncode == 2
    assert "SECRET_KEY must be set explicitly" in result.stderr


def test_dev_mode_opts_in_to_the_simulator_and_the_dev_key():
    assert _start(IVR_DEV_MODE="1").returncode == 0


def test_production_starts_with_explicit_twilio_settings():
    result = _start(
        SECRET_KEY="a-real-secret-key-0123456789",
        TWILIO_ACCOUNT_SID="AC" + "1" * 32,
        TWILIO_AUTH_TOKEN="a-token",
        TWILIO_PHONE_NUMBER="+14155550100",
        PUBLIC_BASE_URL="https://ivr.example.com",
    )

    assert result.returncode == 0, result.stderr


def test_the_docker_image_does_not_ship_the_simulator():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    ignored = {
        line.strip().rstrip("/")
        for line in (root / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert "simulator" in ignored
    assert "COPY --chown=ivr:ivr . ." in (root / "Dockerfile").read_text()
