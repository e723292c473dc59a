"""Operator commands: create-user prints a working API token as its last line."""

from __future__ import annotations

from sqlalchemy import select

from models import CallEvent, User


def test_create_user_prints_an_api_token_that_authenticates(app, client, session):
    result = app.test_cli_runner().invoke(
        args=["create-user", "Riley@Example.com", "--role", "recruiter", "--name", "Riley R",
              "--phone", "(500) 555-0101"]
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json == {"id": me.json["id"], "name": "Riley R", "email": "riley@example.com",
                       "role": "recruiter"}  # fmt: skip
    user = session.scalar(select(User))
    assert user.phone == "+15005550101"


def test_create_user_refuses_an_invalid_phone_with_a_reason(app, session):
    result = app.test_cli_runner().invoke(
        args=["create-user", "a@example.com", "--role", "recruiter", "--name", "A",
              "--phone", "12"]
    )  # fmt: skip

    assert result.exit_code == 2
    assert "'12' is not a valid phone number" in result.output
    assert session.scalar(select(User)) is None


def test_create_user_refuses_an_unknown_role(app):
    result = app.test_cli_runner().invoke(
        args=["create-user", "a@example.com", "--role", "owner", "--name", "A"]
    )

    assert result.exit_code == 2
    assert "'owner' is not one of" in result.output


def test_create_user_refuses_a_duplicate_email(app, make_user):
    make_user(email="taken@example.com")

    result = app.test_cli_runner().invoke(
        args=["create-user", "taken@example.com", "--role", "auditor", "--name", "B"]
    )

    assert result.exit_code == 2
    assert "already exists" in result.output


def test_api_refuses_a_request_without_a_bearer_token(client):
    response = client.get("/api/v1/me")

    assert response.status_code == 401
    assert "bearer token" in response.json["error"]


def test_api_refuses_an_unknown_token(client):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer nope"})

    assert response.status_code == 401
    assert response.json == {"error": "invalid or revoked API token"}


def test_seed_demo_adds_users_and_candidates_once(app, session):
    runner = app.test_cli_runner()

    first = runner.invoke(args=["seed-demo"])
    second = runner.invoke(args=["seed-demo"])

    assert first.exit_code == 0, first.output
    assert "already has users" in second.output
    assert len(session.scalars(select(User)).all()) == 4
    riley = session.scalar(select(User).where(User.email == "riley@example.com"))
    assert riley.check_pin("2468"), "the README's demo line PIN opens the demo recruiter line"


def test_create_user_is_a_chained_user_created_event(app, session):
    result = app.test_cli_runner().invoke(
        args=["create-user", "ada@example.com", "--role", "auditor", "--name", "Ada A"]
    )

    assert result.exit_code == 0, result.output
    user = session.scalar(select(User))
    event = session.scalar(select(CallEvent).where(CallEvent.subject == f"user:{user.id}"))
    assert (event.kind, event.source, event.actor_id) == ("user.created", "cli", None)
    assert event.detail["role"] == "auditor"
    assert "ada@example.com" not in str(event.detail)
