"""The candidates API (issue 9): add, find, read with the timeline, change, upsert by an
ATS's key, notes; who may do which, and the rows and chained events each request leaves."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from ivr import create_app
from ivr.candidates.timeline import RECORD_KINDS
from models import AccessRecord, Call, CallEvent, Candidate
from models.chain import verify_chain
from tests.fixtures.app import base_env
from tests.fixtures.twilio import COMPANY_NUMBER


@pytest.fixture
def recruiter(make_user):
    return make_user(name="Riley Recruiter")


@pytest.fixture
def other(make_user):
    return make_user(name="Olive Other")


@pytest.fixture
def auditor(make_user):
    return make_user("auditor", name="Avery Auditor")


@pytest.fixture
def admin(make_user):
    return make_user("admin", name="Ada Admin")


@pytest.fixture
def api(client, api_token):
    """api(method, path, user, json=None) -> the response, with that user's bearer token."""
    tokens: dict[int, str] = {}

    def call(method, path, user, json=None, **kwargs):
        if user.id not in tokens:
            tokens[user.id] = api_token(user)
        headers = {"Authorization": f"Bearer {tokens[user.id]}"}
        return client.open(path, method=method, headers=headers, json=json, **kwargs)

    return call


def candidate_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Candidate))


def event_count(session) -> int:
    return session.scalar(select(func.count()).select_from(CallEvent))


def events_of(session, candidate_id, kind=None) -> list[CallEvent]:
    stmt = select(CallEvent).where(CallEvent.candidate_id == candidate_id)
    if kind:
        stmt = stmt.where(CallEvent.kind == kind)
    return list(session.scalars(stmt.order_by(CallEvent.seq)))


def stored(session, candidate_id) -> Candidate:
    session.expire_all()
    return session.get(Candidate, candidate_id)


JANE = {"name": "Jane Doe", "phone": "(415) 555-0133", "email": "Jane@Example.com"}


# Creating ----------------------------------------------------------------------------------


def test_a_recruiters_new_candidate_is_theirs(api, session, recruiter):
    response = api("POST", "/api/v1/candidates", recruiter, JANE)

    assert response.status_code == 201
    body = response.json
    assert response.headers["Location"] == f"/api/v1/candidates/{body['id']}"
    row = stored(session, body["id"])
    assert (row.name, row.phone, row.email) == ("Jane Doe", "+14155550133", "jane@example.com")
    assert (row.owner_id, row.stage, row.timezone) == (
        recruiter.id,
        "applied",
        "America/Los_Angeles",
    )
    assert body["owner_id"] == recruiter.id
    assert body["owner_name"] == "Riley Recruiter"
    assert body["phone"] == "+14155550133"
    assert body["code"] == row.code
    [created] = events_of(session, row.id)
    assert (created.kind, created.actor_id, created.detail["via"]) == (
        "candidate.created",
        recruiter.id,
        "api",
    )


def test_a_recruiter_may_give_a_new_candidate_to_another_recruiter(api, session, recruiter, other):
    response = api("POST", "/api/v1/candidates", recruiter, {**JANE, "owner_id": other.id})

    assert response.status_code == 201
    assert stored(session, response.json["id"]).owner_id == other.id


def test_an_admins_new_candidate_is_unowned_unless_an_owner_is_named(
    api, session, admin, recruiter
):
    unowned = api("POST", "/api/v1/candidates", admin, JANE)
    sam = {"name": "Sam Smith", "phone": "+44 20 7946 0958", "owner_id": recruiter.id}
    owned = api("POST", "/api/v1/candidates", admin, sam)

    assert (unowned.status_code, owned.status_code) == (201, 201)
    assert stored(session, unowned.json["id"]).owner_id is None
    assert stored(session, owned.json["id"]).owner_id == recruiter.id


def test_all_the_optional_fields_are_kept(api, session, recruiter):
    body = {**JANE, "stage": "screening", "timezone": "Europe/Berlin",
            "external_id": "A-17", "source": "greenhouse"}  # fmt: skip

    response = api("POST", "/api/v1/candidates", recruiter, body)

    assert response.status_code == 201
    row = stored(session, response.json["id"])
    assert (row.stage, row.timezone, row.external_id, row.source) == (
        "screening",
        "Europe/Berlin",
        "A-17",
        "greenhouse",
    )


def test_the_same_phone_twice_is_refused_with_the_existing_candidates_id(api, session, recruiter):
    first = api("POST", "/api/v1/candidates", recruiter, JANE)

    again = api("POST", "/api/v1/candidates", recruiter,
                {"name": "Someone Else", "phone": "+1 415-555-0133"})  # fmt: skip

    assert again.status_code == 409
    assert again.json["existing_id"] == first.json["id"]
    assert again.json["field"] == "phone"
    assert candidate_count(session) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"phone": "555-01"}, "phone"),
        ({"phone": 4155550133}, "phone"),
        ({"stage": "hired!"}, "stage"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"owner_id": 999_999}, "owner_id"),
        ({"owner_id": "someone"}, "owner_id"),
        ({"name": ""}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
    ],
)
def test_a_bad_field_is_refused_naming_it(api, session, recruiter, change, field):
    response = api("POST", "/api/v1/candidates", recruiter, {**JANE, **change})

    assert response.status_code == 400
    assert response.json["field"] == field
    assert field in response.json["error"]
    assert candidate_count(session) == 0
    assert event_count(session) == 0


def test_an_owner_who_is_not_a_recruiter_is_refused(api, session, recruiter, auditor):
    response = api("POST", "/api/v1/candidates", recruiter, {**JANE, "owner_id": auditor.id})

    assert response.status_code == 400
    assert response.json["field"] == "owner_id"
    assert candidate_count(session) == 0


def test_a_missing_phone_is_refused_naming_it(api, session, recruiter):
    response = api("POST", "/api/v1/candidates", recruiter, {"name": "Jane Doe"})

    assert response.status_code == 400
    assert response.json["field"] == "phone"


@pytest.mark.parametrize("body", [["Jane Doe"], "Jane Doe", 12, None])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/candidates"),
        ("PATCH", "/api/v1/candidates/{id}"),
        ("PUT", "/api/v1/candidates/by-external-id/ats/A-1"),
        ("POST", "/api/v1/candidates/{id}/notes"),
        ("POST", "/api/v1/calls/{call}/notes"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(
    api, session, recruiter, make_candidate, method, path, body
):
    candidate = make_candidate(owner=recruiter)
    call = Call(direction="outbound", recruiter_id=recruiter.id, candidate_id=candidate.id,
                company_number=COMPANY_NUMBER, status="completed")  # fmt: skip
    session.add(call)
    session.commit()
    events_before = event_count(session)

    url = path.format(id=candidate.id, call=call.id)
    if body is None:
        response = api(method, url, recruiter, data="{not json", content_type="application/json")
    else:
        response = api(method, url, recruiter, body)

    assert response.status_code == 400
    assert "JSON object" in response.json["error"]
    assert candidate_count(session) == 1
    assert event_count(session) == events_before


@pytest.fixture
def gb_app(database_url):
    app = create_app(base_env(database_url, DEFAULT_PHONE_REGION="GB"))
    yield app
    app.extensions["db_engine"].dispose()


def test_national_numbers_are_read_in_the_default_phone_region(
    gb_app, api_token, session, recruiter
):
    client = gb_app.test_client()

    response = client.post("/api/v1/candidates",
                           json={"name": "Sam Smith", "phone": "020 7946 0958"},
                           headers={"Authorization": f"Bearer {api_token(recruiter)}"})  # fmt: skip

    assert response.status_code == 201
    row = stored(session, response.json["id"])
    assert (row.phone, row.timezone) == ("+442079460958", "Europe/London")


def test_a_us_national_number_is_refused_outside_the_us(gb_app, api_token, session, recruiter):
    client = gb_app.test_client()

    response = client.post("/api/v1/candidates", json=JANE,
                           headers={"Authorization": f"Bearer {api_token(recruiter)}"})  # fmt: skip

    assert response.status_code == 400
    assert response.json["field"] == "phone"
    assert candidate_count(session) == 0


# Finding -----------------------------------------------------------------------------------


@pytest.fixture
def jane(api, recruiter):
    return api("POST", "/api/v1/candidates", recruiter, JANE).json


@pytest.fixture
def crowd(make_candidate, recruiter, other):
    """Candidates who must not turn up when Jane is searched for."""
    return [
        make_candidate(owner=recruiter, name="Sam Smith", phone="+14155550134", email="sam@x.org"),
        make_candidate(owner=recruiter, name="Lee Long", phone="+442079460958"),
        make_candidate(owner=other, name="Jane Other", phone="+14155550199"),
    ]


def ids(response) -> list[int]:
    return [c["id"] for c in response.json["candidates"]]


@pytest.mark.parametrize(
    "q", ["(415) 555-0133", "+1 415 555 0133", "4155550133", "+14155550133", "555-0133"]
)
def test_the_list_finds_a_phone_number_in_any_format(api, recruiter, jane, crowd, q):
    response = api("GET", "/api/v1/candidates", recruiter, query_string={"q": q})

    assert response.status_code == 200
    assert ids(response) == [jane["id"]]


@pytest.mark.parametrize("q", ["jane@example", "JANE DOE", "ne do"])
def test_the_list_finds_a_name_or_email(api, recruiter, jane, crowd, q):
    response = api("GET", "/api/v1/candidates", recruiter, query_string={"q": q})

    assert ids(response) == [jane["id"]]


def test_the_list_finds_a_dial_in_code(api, recruiter, jane, crowd):
    response = api("GET", "/api/v1/candidates", recruiter, query_string={"q": jane["code"]})

    assert ids(response) == [jane["id"]]


def test_a_recruiters_list_is_their_own_unless_they_ask_for_the_team(api, recruiter, jane, crowd):
    mine = api("GET", "/api/v1/candidates", recruiter)
    team = api("GET", "/api/v1/candidates", recruiter, query_string={"scope": "team"})

    assert set(ids(mine)) == {jane["id"], crowd[0].id, crowd[1].id}
    assert set(ids(team)) == {jane["id"], *(c.id for c in crowd)}
    assert mine.json["candidates"][0] == {
        **jane,
        "local_time": mine.json["candidates"][0]["local_time"],
    }


def test_the_list_filters_by_stage_owner_and_do_not_call(
    api, session, auditor, make_candidate, recruiter, other
):
    wanted = make_candidate(owner=other, stage="offer", do_not_call=True, do_not_call_reason="x")
    make_candidate(owner=other, stage="offer")
    make_candidate(owner=recruiter, stage="offer", do_not_call=True, do_not_call_reason="x")
    make_candidate(owner=other, stage="applied", do_not_call=True, do_not_call_reason="x")

    wanted_args = {"stage": "offer", "owner_id": other.id, "do_not_call": "true"}
    response = api("GET", "/api/v1/candidates", auditor, query_string=wanted_args)

    assert ids(response) == [wanted.id]
    assert response.json["filters"] == {
        "stage": "offer",
        "owner_id": str(other.id),
        "do_not_call": "true",
    }


def test_the_list_pages_on_a_cursor_that_new_rows_never_shift(api, recruiter, make_candidate):
    made = [make_candidate(owner=recruiter, name=f"Person {letter}") for letter in "ABCDE"]

    first = api("GET", "/api/v1/candidates", recruiter, query_string={"limit": 2})
    make_candidate(owner=recruiter, name="Person AA")  # sorts before the cursor
    second = api("GET", "/api/v1/candidates", recruiter,
                 query_string={"limit": 2, "cursor": first.json["next_cursor"]})  # fmt: skip
    third = api("GET", "/api/v1/candidates", recruiter,
                query_string={"limit": 2, "cursor": second.json["next_cursor"]})  # fmt: skip

    assert ids(first) == [made[0].id, made[1].id]
    assert ids(second) == [made[2].id, made[3].id]
    assert ids(third) == [made[4].id]
    assert third.json["next_cursor"] is None


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"stage": "hired!"}, "stage"),
        ({"owner_id": "x"}, "owner_id"),
        ({"do_not_call": "yes"}, "do_not_call"),
        ({"not_called_days": "0"}, "not_called_days"),
        ({"scope": "everyone"}, "scope"),
        ({"sort": "age"}, "sort"),
        ({"limit": "0"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"q": "Jane\x00"}, "q"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_a_bad_filter_is_refused_naming_it(api, recruiter, args, field):
    response = api("GET", "/api/v1/candidates", recruiter, query_string=args)

    assert response.status_code == 400
    assert response.json["field"] == field


# Reading -----------------------------------------------------------------------------------


def test_one_candidate_reads_with_its_timeline_newest_first(api, session, recruiter, jane):
    api("PATCH", f"/api/v1/candidates/{jane['id']}", recruiter,
        {"stage": "screening", "reason": "good CV"})  # fmt: skip
    api("POST", f"/api/v1/candidates/{jane['id']}/notes", recruiter, {"text": "Prefers mornings"})

    response = api("GET", f"/api/v1/candidates/{jane['id']}", recruiter)

    assert response.status_code == 200
    assert response.json["stage"] == "screening"
    kinds = [entry["kind"] for entry in response.json["timeline"]]
    assert kinds == ["note.added", "candidate.stage_changed", "candidate.created"]
    assert response.json["timeline"][0]["detail"] == {"text": "Prefers mornings"}
    assert [(s["from"], s["to"], s["reason"]) for s in response.json["stage_history"]] == [
        (None, "applied", None),
        ("applied", "screening", "good CV"),
    ]


def test_local_time_is_now_on_the_candidates_clock(app, api, recruiter, make_candidate):
    app.extensions["clock"] = lambda: datetime(2026, 1, 15, 12, 0, 5, 123456, tzinfo=UTC)
    candidate = make_candidate(owner=recruiter, timezone="America/New_York")

    response = api("GET", f"/api/v1/candidates/{candidate.id}", recruiter)

    assert response.json["local_time"] == "2026-01-15T07:00:05-05:00"


def test_another_recruiters_candidate_is_not_found(api, session, other, jane):
    events_before = event_count(session)

    read = api("GET", f"/api/v1/candidates/{jane['id']}", other)
    change = api("PATCH", f"/api/v1/candidates/{jane['id']}", other, {"stage": "offer"})
    note = api("POST", f"/api/v1/candidates/{jane['id']}/notes", other, {"text": "mine now"})

    assert [read.status_code, change.status_code, note.status_code] == [404, 404, 404]
    assert read.json == {"error": "no such candidate"}
    assert stored(session, jane["id"]).stage == "applied"
    assert event_count(session) == events_before


def test_a_missing_candidate_is_not_found(api, recruiter):
    response = api("GET", "/api/v1/candidates/2147483647", recruiter)

    assert response.status_code == 404


def test_an_admin_reads_the_record_but_not_the_calls_or_notes(api, session, admin, recruiter, jane):
    call = Call(direction="outbound", recruiter_id=recruiter.id, candidate_id=jane["id"],
                company_number=COMPANY_NUMBER, status="completed")  # fmt: skip
    session.add(call)
    session.commit()
    api("POST", f"/api/v1/calls/{call.id}/notes", recruiter, {"text": "Call back after 5"})
    api("PATCH", f"/api/v1/candidates/{jane['id']}", recruiter, {"stage": "screening"})

    listed = api("GET", "/api/v1/candidates", admin)
    read = api("GET", f"/api/v1/candidates/{jane['id']}", admin)

    assert ids(listed) == [jane["id"]]
    kinds = [entry["kind"] for entry in read.json["timeline"]]
    assert kinds == ["candidate.stage_changed", "candidate.created"]
    assert set(kinds) <= set(RECORD_KINDS)
    assert session.scalar(select(func.count()).select_from(AccessRecord)) == 0


def test_an_auditors_reads_are_recorded(api, session, auditor, jane):
    listed = api("GET", "/api/v1/candidates", auditor, query_string={"q": "jane"})
    read = api("GET", f"/api/v1/candidates/{jane['id']}", auditor)

    assert (listed.status_code, read.status_code) == (200, 200)
    assert ids(listed) == [jane["id"]]
    assert read.json["timeline"][-1]["kind"] == "candidate.created"
    records = session.scalars(select(AccessRecord).order_by(AccessRecord.seq)).all()
    assert [(r.user_id, r.action, r.target, r.filters) for r in records] == [
        (auditor.id, "api.candidates.list", "", {"q": "jane"}),
        (auditor.id, "api.candidates.read", f"candidate:{jane['id']}", {}),
    ]
    assert verify_chain(session, AccessRecord).ok


def test_a_recruiters_reads_are_not_recorded(api, session, recruiter, jane):
    api("GET", "/api/v1/candidates", recruiter)
    api("GET", f"/api/v1/candidates/{jane['id']}", recruiter)

    assert session.scalar(select(func.count()).select_from(AccessRecord)) == 0


def test_an_auditor_changes_nothing(api, session, auditor, recruiter, jane):
    call = Call(direction="outbound", recruiter_id=recruiter.id, candidate_id=jane["id"],
                company_number=COMPANY_NUMBER, status="completed")  # fmt: skip
    session.add(call)
    session.commit()
    events_before = event_count(session)

    responses = [
        api("POST", "/api/v1/candidates", auditor, {"name": "Sam", "phone": "+442079460958"}),
        api("PATCH", f"/api/v1/candidates/{jane['id']}", auditor, {"stage": "offer"}),
        api("PUT", "/api/v1/candidates/by-external-id/ats/A-1", auditor, JANE),
        api("POST", f"/api/v1/candidates/{jane['id']}/notes", auditor, {"text": "hi"}),
        api("POST", f"/api/v1/calls/{call.id}/notes", auditor, {"text": "hi"}),
    ]

    assert [r.status_code for r in responses] == [403] * 5
    assert candidate_count(session) == 1
    assert stored(session, jane["id"]).stage == "applied"
    assert event_count(session) == events_before


# Changing ----------------------------------------------------------------------------------


def test_a_stage_change_is_chained_with_who_from_to_and_why(api, session, recruiter, jane):
    response = api("PATCH", f"/api/v1/candidates/{jane['id']}", recruiter,
                   {"stage": "interviewing", "reason": "passed the screen"})  # fmt: skip

    assert response.status_code == 200
    assert response.json["stage"] == "interviewing"
    assert response.json["updated_at"] == stored(
        session, jane["id"]
    ).updated_at.isoformat().replace("+00:00", "Z")
    [change] = events_of(session, jane["id"], "candidate.stage_changed")
    assert change.actor_id == recruiter.id
    assert change.detail == {
        "from": "applied",
        "to": "interviewing",
        "reason": "passed the screen",
        "via": "api",
    }
    assert verify_chain(session, CallEvent).ok


def test_an_owner_change_is_chained_with_who_from_and_to(api, session, recruiter, other, jane):
    response = api("PATCH", f"/api/v1/candidates/{jane['id']}", recruiter,
                   {"owner_id": other.id, "reason": "going on leave"})  # fmt: skip

    assert response.status_code == 200
    assert (response.json["owner_id"], response.json["owner_name"]) == (other.id, "Olive Other")
    [change] = events_of(session, jane["id"], "candidate.owner_changed")
    assert change.actor_id == recruiter.id
    assert (change.detail["from"], change.detail["to"]) == (recruiter.id, other.id)
    assert change.detail["reason"] == "going on leave"


def test_an_admin_changes_any_candidate(api, session, admin, other, jane):
    response = api("PATCH", f"/api/v1/candidates/{jane['id']}", admin,
                   {"owner_id": other.id, "stage": "offer"})  # fmt: skip

    assert response.status_code == 200
    row = stored(session, jane["id"])
    assert (row.owner_id, row.stage) == (other.id, "offer")
    assert {e.actor_id for e in events_of(session, jane["id"])[1:]} == {admin.id}


def test_do_not_call_is_set_and_cleared_with_reasons(api, session, recruiter, jane):
    url = f"/api/v1/candidates/{jane['id']}"

    marked = api("PATCH", url, recruiter, {"do_not_call": True, "reason": "asked us not to"})
    cleared = api("PATCH", url, recruiter, {"do_not_call": False, "reason": "asked again"})

    assert (marked.json["do_not_call"], marked.json["do_not_call_reason"]) == (
        True,
        "asked us not to",
    )
    assert (cleared.json["do_not_call"], cleared.json["do_not_call_reason"]) == (False, None)
    kinds = [(e.kind, e.actor_id, e.detail["reason"]) for e in events_of(session, jane["id"])[1:]]
    assert kinds == [
        ("candidate.do_not_call", recruiter.id, "asked us not to"),
        ("candidate.do_not_call_cleared", recruiter.id, "asked again"),
    ]


def test_clearing_do_not_call_without_a_reason_is_refused(api, session, recruiter, jane):
    url = f"/api/v1/candidates/{jane['id']}"
    api("PATCH", url, recruiter, {"do_not_call": True, "do_not_call_reason": "wrong number"})
    events_before = event_count(session)

    response = api("PATCH", url, recruiter, {"do_not_call": False, "name": "Jane Q. Doe"})

    assert response.status_code == 400
    assert response.json["field"] == "reason"
    row = stored(session, jane["id"])
    assert (row.do_not_call, row.name) == (True, "Jane Doe")
    assert event_count(session) == events_before


def test_a_changed_phone_taken_by_another_candidate_is_refused(
    api, session, recruiter, jane, make_candidate
):
    taken = make_candidate(owner=recruiter, phone="+442079460958")

    response = api("PATCH", f"/api/v1/candidates/{jane['id']}", recruiter,
                   {"phone": "+44 20 7946 0958"})  # fmt: skip

    assert response.status_code == 409
    assert response.json["existing_id"] == taken.id
    assert stored(session, jane["id"]).phone == "+14155550133"


def test_a_bad_change_is_refused_naming_the_field(api, session, recruiter, jane):
    response = api("PATCH", f"/api/v1/candidates/{jane['id']}", recruiter, {"stage": "done"})

    assert response.status_code == 400
    assert response.json["field"] == "stage"
    assert stored(session, jane["id"]).stage == "applied"


# Upserting by an ATS's key -----------------------------------------------------------------

UPSERT = "/api/v1/candidates/by-external-id/greenhouse/A-17"


def test_an_upsert_creates_the_candidate_an_ats_knows(api, session, recruiter):
    response = api("PUT", UPSERT, recruiter, {**JANE, "stage": "screening"})

    assert response.status_code == 201
    assert response.headers["Location"] == f"/api/v1/candidates/{response.json['id']}"
    row = stored(session, response.json["id"])
    assert (row.source, row.external_id, row.stage, row.owner_id) == (
        "greenhouse",
        "A-17",
        "screening",
        recruiter.id,
    )


def test_an_upsert_updates_the_candidate_it_already_made(api, session, recruiter):
    created = api("PUT", UPSERT, recruiter, JANE)

    updated = api("PUT", UPSERT, recruiter, {**JANE, "name": "Jane Q. Doe", "stage": "offer"})

    assert updated.status_code == 200
    assert updated.json["id"] == created.json["id"]
    assert candidate_count(session) == 1
    row = stored(session, created.json["id"])
    assert (row.name, row.stage) == ("Jane Q. Doe", "offer")
    assert [e.kind for e in events_of(session, row.id)] == [
        "candidate.created",
        "candidate.details_changed",
        "candidate.stage_changed",
        "owed.opened",  # the offer waits for its answer (ivr.callflow.owed)
    ]


def test_the_same_upsert_twice_writes_nothing_the_second_time(api, session, recruiter):
    body = {**JANE, "stage": "screening", "timezone": "Europe/Berlin"}
    api("PUT", UPSERT, recruiter, body)
    events_before = event_count(session)

    again = api("PUT", UPSERT, recruiter, body)

    assert again.status_code == 200
    assert event_count(session) == events_before
    assert candidate_count(session) == 1


def test_the_paths_key_wins_over_one_in_the_body(api, session, recruiter):
    response = api("PUT", UPSERT, recruiter, {**JANE, "source": "lever", "external_id": "B-9"})

    row = stored(session, response.json["id"])
    assert (row.source, row.external_id) == ("greenhouse", "A-17")


def test_an_upsert_with_a_blank_key_is_refused(api, session, recruiter):
    response = api("PUT", "/api/v1/candidates/by-external-id/greenhouse/%20", recruiter, JANE)

    assert response.status_code == 400
    assert response.json["field"] == "external_id"
    assert candidate_count(session) == 0


def test_an_upsert_of_a_new_record_without_a_phone_is_refused(api, session, recruiter):
    response = api("PUT", UPSERT, recruiter, {"name": "Jane Doe"})

    assert response.status_code == 400
    assert response.json["field"] == "phone"
    assert candidate_count(session) == 0


# Notes -------------------------------------------------------------------------------------


@pytest.fixture
def call(session, recruiter, jane):
    call = Call(direction="outbound", recruiter_id=recruiter.id, candidate_id=jane["id"],
                company_number=COMPANY_NUMBER, status="completed")  # fmt: skip
    session.add(call)
    session.commit()
    return call


def test_a_note_on_a_candidate_is_a_chained_event(api, session, recruiter, jane):
    response = api("POST", f"/api/v1/candidates/{jane['id']}/notes", recruiter,
                   {"text": "  Prefers mornings\r\nafter 9  "})  # fmt: skip

    assert response.status_code == 201
    [note] = events_of(session, jane["id"], "note.added")
    assert response.json["id"] == note.id
    assert response.json["kind"] == "note.added"
    assert note.detail == {"text": "Prefers mornings\nafter 9"}
    assert (note.actor_id, note.call_id) == (recruiter.id, None)
    assert verify_chain(session, CallEvent).ok


def test_a_note_on_a_call_is_a_chained_event_on_the_call_and_candidate(
    api, session, recruiter, jane, call
):
    response = api("POST", f"/api/v1/calls/{call.id}/notes", recruiter, {"text": "Call at 5"})

    assert response.status_code == 201
    [note] = events_of(session, jane["id"], "note.added")
    assert (note.call_id, note.actor_id, note.detail) == (
        call.id,
        recruiter.id,
        {"text": "Call at 5"},
    )
    assert verify_chain(session, CallEvent).ok


def test_a_note_on_a_call_the_recruiter_may_not_read_is_not_found(api, session, other, call):
    events_before = event_count(session)

    response = api("POST", f"/api/v1/calls/{call.id}/notes", other, {"text": "mine now"})
    missing = api("POST", "/api/v1/calls/2147483647/notes", other, {"text": "anyone?"})

    assert (response.status_code, missing.status_code) == (404, 404)
    assert response.json == {"error": "no such call"}
    assert event_count(session) == events_before


@pytest.mark.parametrize("text", [None, "", "   ", 12, "x" * 2001])
def test_a_note_without_usable_text_is_refused(api, session, recruiter, jane, text):
    events_before = event_count(session)

    response = api("POST", f"/api/v1/candidates/{jane['id']}/notes", recruiter, {"text": text})

    assert response.status_code == 400
    assert response.json["field"] == "text"
    assert event_count(session) == events_before


def test_an_admin_may_not_add_notes(api, session, admin, jane, call):
    events_before = event_count(session)

    on_candidate = api("POST", f"/api/v1/candidates/{jane['id']}/notes", admin, {"text": "x"})
    on_call = api("POST", f"/api/v1/calls/{call.id}/notes", admin, {"text": "x"})

    assert (on_candidate.status_code, on_call.status_code) == (403, 403)
    assert event_count(session) == events_before
