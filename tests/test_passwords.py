"""Passwords hash with scrypt in production and cheaply under TESTING; either hash verifies."""

from __future__ import annotations

import pytest
from werkzeug.security import generate_password_hash

import models.user
from ivr import create_app
from models import User
from tests.fixtures.app import base_env


@pytest.fixture
def app_with(database_url, monkeypatch):
    """create_app(TESTING=...) for one test; the method it chooses is put back afterwards."""
    monkeypatch.setattr(models.user, "PASSWORD_METHOD", models.user.PASSWORD_METHOD)
    apps = []

    def make(testing: str):
        apps.append(create_app(base_env(database_url, TESTING=testing)))
        return apps[-1]

    yield make
    for app in apps:
        app.extensions["db_engine"].dispose()


def hashed(password: str) -> str:
    user = User(name="Riley Recruiter", email="riley@example.com", role="recruiter")
    user.set_password(password)
    return user.password_hash or ""


def test_a_production_app_hashes_passwords_with_scrypt(app_with):
    app_with(testing="0")

    password_hash = hashed("password-123")

    assert password_hash.startswith("scrypt:")


def test_a_testing_app_hashes_passwords_cheaply(app_with):
    app_with(testing="1")

    password_hash = hashed("password-123")

    assert password_hash.startswith("pbkdf2:sha256:1$")


def test_a_production_app_hashes_with_scrypt_after_a_testing_app(app_with):
    app_with(testing="1")
    app_with(testing="0")

    password_hash = hashed("password-123")

    assert password_hash.startswith("scrypt:")


@pytest.mark.parametrize("method", ["scrypt", "pbkdf2:sha256:1"])
@pytest.mark.parametrize("testing", ["0", "1"])
def test_a_hash_of_either_method_verifies_under_either_setting(app_with, method, testing):
    user = User(name="Riley Recruiter", email="riley@example.com", role="recruiter")
    user.password_hash = generate_password_hash("password-123", method=method)

    app_with(testing=testing)

    assert user.check_password("password-123")
    assert not user.check_password("password-124")
