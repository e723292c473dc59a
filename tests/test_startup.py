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
