"""Sign-in under attack: the time a wrong password takes for a known and an unknown email (no
user enumeration by timing), and what 300 wrong passwords followed by the right one get.

    python bench/sign_in.py [--url DATABASE_URL]

Production hashing (scrypt) is used, as in a real install; CSRF is off so the script can post
the form directly. Prints medians and counts; asserts nothing about time."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from bench.calllog import scratch_database  # noqa: E402
from ivr import create_app  # noqa: E402
from ivr.db import session_scope  # noqa: E402
from ivr.migrate import upgrade_to_head  # noqa: E402
from models import User  # noqa: E402

EMAIL, PASSWORD = "riley@example.com", "the-right-password-123"


def median_ms(client, email: str, runs: int) -> float:
    times = []
    for n in range(runs):
        # A fresh address each time, so the per-address limit does not step in.
        environ = {"REMOTE_ADDR": f"10.1.{n // 250}.{n % 250 + 1}"}
        started = time.perf_counter()
        client.post("/login", data={"email": email, "password": "wrong"},
                    environ_overrides=environ)  # fmt: skip
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="")
    args = parser.parse_args()
    url, drop = scratch_database(args.url or None)
    try:
        upgrade_to_head(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-secret-key-0123456789",
                          "IVR_DEV_MODE": "1"})  # fmt: skip
        app.config["WTF_CSRF_ENABLED"] = False
        with session_scope(app) as session:
            user = User(name="Riley R", email=EMAIL, role="recruiter")
            user.set_password(PASSWORD)
            session.add(user)
            session.commit()
        client = app.test_client()
        known = median_ms(client, EMAIL, 9)
        unknown = median_ms(client, "nobody@example.com", 9)
        print(f"wrong password, known email    median {known:7.1f} ms")
        print(f"wrong password, unknown email  median {unknown:7.1f} ms")

        answers: Counter[int] = Counter()
        for _ in range(300):
            response = client.post("/login", data={"email": EMAIL, "password": "guess"})
            answers[response.status_code] += 1
        right = client.post("/login", data={"email": EMAIL, "password": PASSWORD})
        print(f"300 wrong passwords from one address: {dict(sorted(answers.items()))}")
        signed_in = right.status_code == 302
        print(f"then the right password: {right.status_code} "
              f"({'signed in' if signed_in else 'refused'})")  # fmt: skip
        app.extensions["db_engine"].dispose()
    finally:
        drop()


if __name__ == "__main__":
    main()
