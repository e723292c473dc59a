"""Signing in: rate limited per account and per address; unknown emails cost a hash check;
signing out ends the session on the server, so a copied cookie stops working."""

from __future__ import annotations

import pytest

import models.user
from ivr.ratelimit import LOGIN_LIMIT_PER_ACCOUNT, LOGIN_LIMIT_PER_ADDRESS
from tests.fixtures.people import PASSWORD
from tests.test_web_pages import csrf_from

ACCOUNT_LIMIT = int(LOGIN_LIMIT_PER_ACCOUNT.split()[0])
ADDRESS_LIMIT = int(LOGIN_LIMIT_PER_ADDRESS.split()[0])


@pytest.fixture
def riley(make_user):
    return make_user(email="riley@example.com")


def attempt(client, email: str, password: str, address: str = "203.0.113.7"):
    page = client.get("/login").get_data(as_text=True)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_from(page)},
        environ_base={"REMOTE_ADDR": address},
    )


def test_the_right_password_signs_in(client, riley):
    assert attempt(client, "riley@example.com", PASSWORD).status_code == 302


def test_after_too_many_wrong_passwords_even_the_right_one_is_refused(client, riley):
    for _ in range(ACCOUNT_LIMIT):
        assert attempt(client, "riley@example.com", "wrong").status_code == 200

    # From another address too: the limit is on the account.
    response = attempt(client, "Riley@Example.com ", PASSWORD, address="198.51.100.9")

    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    assert "Retry-After" in response.headers
    # Another account from the first address is still open.
    assert attempt(client, "other@example.com", "wrong").status_code == 200


def test_one_address_trying_many_accounts_is_limited(client, riley):
    for n in range(ADDRESS_LIMIT):
        assert attempt(client, f"guess{n}@example.com", "wrong").status_code == 200

    assert attempt(client, "riley@example.com", PASSWORD).status_code == 429
    # Someone else, elsewhere, signs in.
    assert attempt(client, "riley@example.com", PASSWORD, address="198.51.100.9").status_code == 302


def test_successful_sign_ins_do_not_use_up_the_limit(client, riley):
    for _ in range(ACCOUNT_LIMIT + 2):
        assert attempt(client, "riley@example.com", PASSWORD).status_code == 302
        client.get("/")  # stays signed in; the next POST signs in again


def test_an_unknown_email_costs_a_password_hash_check(client, monkeypatch):
    checked: list[str] = []
    real = models.user.check_password_hash

    def spy(pwhash: str, password: str) -> bool:
        checked.append(password)
        return real(pwhash, password)

    monkeypatch.setattr(models.user, "check_password_hash", spy)

    response = attempt(client, "nobody@example.com", "a-guess")

    assert response.status_code == 200
    assert checked == ["a-guess"]


def test_a_user_without_a_password_costs_a_hash_check_too(client, make_user, session, monkeypatch):
    user = make_user(email="nopass@example.com")
    user.password_hash = None
    session.commit()
    checked: list[str] = []
    real = models.user.check_password_hash
    monkeypatch.setattr(
        models.user, "check_password_hash", lambda h, p: checked.append(p) or real(h, p)
    )

    assert attempt(client, "nopass@example.com", "a-guess").status_code == 200
    assert checked == ["a-guess"]


def test_rate_limit_counters_use_redis_when_redis_url_is_set():
    from ivr.config import load_settings

    env = {"REDIS_URL": "redis://127.0.0.1:6379/0"}
    assert load_settings(env).rate_limit_storage_uri == "redis://127.0.0.1:6379/0"
    assert load_settings({}).rate_limit_storage_uri == "memory://"


def test_a_session_cookie_copied_before_sign_out_stops_working(client, app, riley):
    assert attempt(client, "riley@example.com", PASSWORD).status_code == 302
    assert client.get("/calls").status_code == 200
    copied = client.get_cookie("session").value

    page = client.get("/calls").get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": csrf_from(page)}).status_code == 302

    thief = app.test_client()
    thief.set_cookie("session", copied)
    response = thief.get("/calls")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_a_password_change_ends_other_sessions(client, app, riley, session):
    from ivr import system

    assert attempt(client, "riley@example.com", PASSWORD).status_code == 302
    assert client.get("/calls").status_code == 200

    system.reset_password(session, None, riley, "a-new-password-456")
    session.commit()

    assert client.get("/calls").status_code == 302
    assert attempt(client, "riley@example.com", "a-new-password-456").status_code == 302
    assert client.get("/calls").status_code == 200


def test_with_redis_url_the_counters_live_in_redis(database_url, riley):
    """Workers share the counters: the failed attempts are counted in Redis, not in memory."""
    import uuid

    redis = pytest.importorskip("redis")
    from ivr import create_app
    from tests.fixtures.app import base_env

    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    app = create_app(base_env(database_url, REDIS_URL=url))
    email = f"nobody-{uuid.uuid4().hex}@example.com"
    client = app.test_client()
    for _ in range(3):
        assert attempt(client, email, "wrong").status_code == 200
    app.extensions["db_engine"].dispose()

    server = redis.Redis.from_url(url)
    keys = server.keys(f"*{email}*")
    try:
        assert keys, "no rate-limit counter in Redis"
        assert int(server.get(keys[0])) == 3
    finally:
        if keys:
            server.delete(*keys)
