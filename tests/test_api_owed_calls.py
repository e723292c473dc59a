"""GET /api/v1/owed-calls: a recruiter's open owed calls; auditors and admins name a recruiter.
And the stage change that opens one, made through the API (PATCH, PUT by an ATS's key)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ivr.callflow.owed import OwedPolicy
from ivr.config import load_settings
from models import AccessRecord, OwedCall


@pytest.fixture
def recruiter(make_user):
    return make_user(name="Riley Recruiter")


@pytest.fixture
def api(client, api_token):
    def call(method, url, user, body=None):
        headers = {"Authorization": f"Bearer {api_token(user)}"}
        return client.open(url, method=method, headers=headers, json=body)

    return call


def not_selected_after_interview(api, user, candidate):
    url = f"/api/v1/candidates/{candidate.id}"
    assert api("PATCH", url, user, {"stage": "interviewing"}).status_code == 200
    assert api("PATCH", url, user, {"stage": "not_selected", "reason": "panel"}).status_code == 200


def test_a_decision_made_through_the_api_is_in_the_recruiters_owed_calls(
    api, session, recruiter, make_candidate, app_env
):
    jane = make_candidate(owner=recruiter, name="Jane Doe")
    not_selected_after_interview(api, recruiter, jane)

    response = api("GET", "/api/v1/owed-calls", recruiter)

    assert response.status_code == 200
    [item] = response.json["owed_calls"]
    stored = session.scalar(select(OwedCall))
    assert item["id"] == stored.id
    assert (item["candidate_id"], item["candidate_name"]) == (jane.id, "Jane Doe")
    assert (item["reason"], item["attempts"], item["overdue"]) == ("closure", 0, False)
    assert item["may_close"] is False
    # Due in the app's own calendar (the suite's: every day, around the clock).
    due = OwedPolicy.from_settings(load_settings(app_env)).due_after(stored.opened_at)
    assert item["due_at"] == due.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize("days", ["1", "5"])
def test_the_due_date_follows_the_setting(database_url, make_user, make_candidate, api_token, days):
    from ivr import create_app
    from tests.fixtures.app import base_env

    env = base_env(database_url, OWED_CALL_DUE_BUSINESS_DAYS=days, BUSINESS_DAYS="mon-fri",
                   BUSINESS_HOURS="09:00-17:00", BUSINESS_TIMEZONE="Europe/London")  # fmt: skip
    app = create_app(env)
    try:
        recruiter = make_user(name="Riley")
        jane = make_candidate(owner=recruiter)
        headers = {"Authorization": f"Bearer {api_token(recruiter)}"}
        client = app.test_client()
        for stage in ("interviewing", "not_selected"):
            client.patch(f"/api/v1/candidates/{jane.id}", headers=headers, json={"stage": stage})
        [item] = client.get("/api/v1/owed-calls", headers=headers).json["owed_calls"]
    finally:
        app.extensions["db_engine"].dispose()

    policy = OwedPolicy.from_settings(load_settings(env))
    assert policy.due_days == int(days)
    from datetime import datetime

    opened = datetime.fromisoformat(item["opened_at"].replace("Z", "+00:00"))
    assert item["due_at"] == policy.due_after(opened).isoformat().replace("+00:00", "Z")


def test_an_ats_upsert_that_marks_not_selected_opens_one(api, session, recruiter):
    url = "/api/v1/candidates/by-external-id/ats/A-9"
    body = {"name": "Jane Doe", "phone": "+44 20 7946 0958", "stage": "interviewing"}
    assert api("PUT", url, recruiter, body).status_code in (200, 201)
    assert api("PUT", url, recruiter, {**body, "stage": "not_selected"}).status_code == 200
    assert api("PUT", url, recruiter, {**body, "stage": "not_selected"}).status_code == 200

    assert [
        i["reason"] for i in api("GET", "/api/v1/owed-calls", recruiter).json["owed_calls"]
    ] == ["closure"]


def test_a_recruiter_sees_only_their_own(api, recruiter, make_user, make_candidate):
    other = make_user(name="Other")
    not_selected_after_interview(api, other, make_candidate(owner=other))

    assert api("GET", "/api/v1/owed-calls", recruiter).json == {"owed_calls": []}
    refused = api("GET", f"/api/v1/owed-calls?recruiter_id={other.id}", recruiter)
    assert refused.status_code == 403
    assert (
        api("GET", f"/api/v1/owed-calls?recruiter_id={recruiter.id}", recruiter).status_code == 200
    )


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_auditors_and_admins_name_a_recruiter(
    api, session, role, recruiter, make_user, make_candidate
):
    other = make_user(name="Other")
    not_selected_after_interview(api, recruiter, make_candidate(owner=recruiter))
    not_selected_after_interview(api, other, make_candidate(owner=other))
    reader = make_user(role)

    everyone = api("GET", "/api/v1/owed-calls", reader).json["owed_calls"]
    mine = api("GET", f"/api/v1/owed-calls?recruiter_id={recruiter.id}", reader).json["owed_calls"]

    assert {i["recruiter_id"] for i in everyone} == {recruiter.id, other.id}
    assert [i["recruiter_id"] for i in mine] == [recruiter.id]
    recorded = session.scalars(
        select(AccessRecord.action).where(AccessRecord.user_id == reader.id)
    ).all()
    assert recorded == (["api.owed_calls.list"] * 2 if role == "auditor" else [])


@pytest.mark.parametrize("bad", ["x", "0", "99999999999", "²"])
def test_a_bad_recruiter_id_is_refused(api, make_user, bad):
    response = api("GET", f"/api/v1/owed-calls?recruiter_id={bad}", make_user("auditor"))

    assert response.status_code == 400
    assert response.json["field"] == "recruiter_id"


def test_closed_items_are_not_listed(api, recruiter, make_candidate):
    jane = make_candidate(owner=recruiter)
    not_selected_after_interview(api, recruiter, jane)
    api("PATCH", f"/api/v1/candidates/{jane.id}", recruiter, {"stage": "interviewing"})

    assert api("GET", "/api/v1/owed-calls", recruiter).json == {"owed_calls": []}
