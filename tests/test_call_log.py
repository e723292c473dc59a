"""Reading the call log (issue 5): every filter, recruiter scope, keyset pages that hold
still while calls are added, streamed CSV, and the record of every auditor read."""

from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from models import AccessRecord, Call, OutcomeCode
from models.chain import verify_chain
from tests.fixtures.app import base_env
from tests.fixtures.twilio import COMPANY_NUMBER

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(session, make_user, make_candidate):
    """Two recruiters, three candidates, and six calls that differ in one thing each."""
    riley = make_user(name="Riley Recruiter")
    sam = make_user(name="Sam Recruiter")
    auditor = make_user("auditor", name="Ada Auditor")
    ann = make_candidate(owner=riley, name="Ann Applicant")
    bob = make_candidate(owner=riley, name="=HYPERLINK(evil)")
    cat = make_candidate(owner=sam, name="Cat Candidate")
    offer = session.scalar(select(OutcomeCode).where(OutcomeCode.digit == "2"))

    def call(name, minutes, recruiter, candidate, **fields):
        row = Call(
            direction=fields.pop("direction", "outbound"),
            recruiter_id=recruiter.id if recruiter else None,
            candidate_id=candidate.id if candidate else None,
            candidate_number=candidate.phone if candidate else "+15005559999",
            company_number=COMPANY_NUMBER,
            status=fields.pop("status", "completed"),
            created_at=T0 + timedelta(minutes=minutes),
            **fields,
        )
        session.add(row)
        session.commit()
        return name, row.id

    calls = dict(
        [
            call("ann_day1", 0, riley, ann),
            call("ann_offer", 60, riley, ann, outcome_code_id=offer.id),
            call("bob_busy", 24 * 60, riley, bob, status="busy"),
            call("cat_inbound", 24 * 60 + 5, sam, cat, direction="inbound"),
            call("cat_voicemail", 48 * 60, None, cat, direction="inbound", is_voicemail=True),
            call("stranger", 72 * 60, None, None, direction="inbound", status="no-answer"),
        ]
    )
    return {"riley": riley, "sam": sam, "auditor": auditor, "ann": ann, "cat": cat, **calls}


def listed(client, token, **params):
    response = client.get(
        "/api/v1/calls", query_string=params, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.json
    return response.json


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["stranger", "cat_voicemail", "cat_inbound", "bob_busy", "ann_offer", "ann_day1"]),
        (
            {"order": "oldest"},
            ["ann_day1", "ann_offer", "bob_busy", "cat_inbound", "cat_voicemail", "stranger"],
        ),  # fmt: skip
        ({"since": "2026-11-03"}, ["stranger", "cat_voicemail", "cat_inbound", "bob_busy"]),
        ({"until": "2026-11-02"}, ["ann_offer", "ann_day1"]),
        (
            {"since": "2026-11-02T09:30:00Z", "until": "2026-11-03T09:03:00+00:00"},
            ["bob_busy", "ann_offer"],
        ),  # fmt: skip
        ({"recruiter_id": "riley"}, ["bob_busy", "ann_offer", "ann_day1"]),
        ({"candidate_id": "cat"}, ["cat_voicemail", "cat_inbound"]),
        ({"direction": "inbound"}, ["stranger", "cat_voicemail", "cat_inbound"]),
        ({"direction": "outbound"}, ["bob_busy", "ann_offer", "ann_day1"]),
        ({"status": "busy"}, ["bob_busy"]),
        ({"status": "no-answer"}, ["stranger"]),
        ({"outcome": "2"}, ["ann_offer"]),
        ({"outcome": "none", "direction": "outbound"}, ["bob_busy", "ann_day1"]),
        ({"has_voicemail": "true"}, ["cat_voicemail"]),
        ({"has_voicemail": "false", "direction": "inbound"}, ["stranger", "cat_inbound"]),
    ],
)
def test_each_filter_narrows_the_auditor_listing(client, api_token, world, params, expected):
    params = {
        key: str(world[value].id) if key in ("recruiter_id", "candidate_id") else value
        for key, value in params.items()
    }

    body = listed(client, api_token(world["auditor"]), **params)

    assert [c["id"] for c in body["calls"]] == [world[name] for name in expected]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-01"}, "until"),
        ({"since": "2026-11-05", "until": "2026-11-01"}, "until"),
        ({"recruiter_id": "-3"}, "recruiter_id"),
        ({"candidate_id": "x"}, "candidate_id"),
        ({"direction": "sideways"}, "direction"),
        ({"status": "exploded"}, "status"),
        ({"outcome": "12"}, "outcome"),
        ({"has_voicemail": "maybe"}, "has_voicemail"),
        ({"order": "random"}, "order"),
        ({"limit": "0"}, "limit"),
        ({"limit": "5000"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_a_filter_that_cannot_be_used_is_a_400_naming_it(client, api_token, world, params, field):
    response = client.get(
        "/api/v1/calls",
        query_string=params,
        headers={"Authorization": f"Bearer {api_token(world['auditor'])}"},
    )

    assert response.status_code == 400
    assert response.json["field"] == field
    assert field in response.json["error"]


def test_a_recruiter_lists_only_their_own_calls_and_candidates(client, api_token, world):
    body = listed(client, api_token(world["sam"]))

    # Sam made cat_inbound; cat_voicemail reached the team but Cat is Sam's candidate.
    assert [c["id"] for c in body["calls"]] == [world["cat_voicemail"], world["cat_inbound"]]


def test_a_cursor_from_other_sort_order_is_refused(client, api_token, world):
    token = api_token(world["auditor"])
    first = listed(client, token, limit="2")

    response = client.get(
        "/api/v1/calls",
        query_string={"cursor": first["next_cursor"], "order": "oldest"},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 400


def _bulk_calls(session, recruiter_id, start, count, step_seconds=1):
    session.execute(
        insert(Call),
        [
            {
                "direction": "outbound",
                "recruiter_id": recruiter_id,
                "company_number": COMPANY_NUMBER,
                "status": "completed",
                "created_at": start + timedelta(seconds=i * step_seconds),
                "is_voicemail": False,
            }
            for i in range(count)
        ],
    )


@pytest.mark.parametrize("order", ["newest", "oldest"])
def test_cursor_pages_neither_skip_nor_repeat_while_calls_are_added(
    client, api_token, session, make_user, order
):
    auditor, riley = make_user("auditor"), make_user()
    # Many calls share a timestamp: the id breaks the tie, or a page boundary would skip some.
    _bulk_calls(session, riley.id, T0, 45, step_seconds=0)
    _bulk_calls(session, riley.id, T0 + timedelta(hours=1), 45)
    before = set(session.scalars(select(Call.id)))
    token = api_token(auditor)

    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": "10", "order": order, **({"cursor": cursor} if cursor else {})}
        body = listed(client, token, **params)
        seen += [c["id"] for c in body["calls"]]
        pages += 1
        # Meanwhile calls keep arriving: newer ones, and ones at the very timestamp just served.
        _bulk_calls(session, riley.id, datetime.now(UTC), 3)
        _bulk_calls(session, riley.id, T0, 2, step_seconds=0)
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert len(seen) == len(set(seen)), "a call was served twice"
    assert before <= set(seen), f"calls skipped: {sorted(before - set(seen))}"
    assert pages >= 9
    times = [(c["created_at"], c["id"]) for c in listed(client, token, limit="200")["calls"]]
    assert times == sorted(times, reverse=True)


def _csv(response):
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_csv_export_has_a_header_iso_utc_times_and_the_filter(client, api_token, world):
    response = client.get(
        "/api/v1/calls.csv",
        query_string={"candidate_id": world["ann"].id, "order": "oldest"},
        headers={"Authorization": f"Bearer {api_token(world['auditor'])}"},
    )

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    header, *rows = _csv(response)
    assert header[:3] == ["call_id", "created_at", "direction"]
    assert [row[0] for row in rows] == [str(world["ann_day1"]), str(world["ann_offer"])]
    record = dict(zip(header, rows[1], strict=True))
    assert record["created_at"] == "2026-11-02T10:00:00Z"
    assert (record["outcome_digit"], record["outcome_label"]) == ("2", "offer extended")
    assert record["candidate_number"] == world["ann"].phone


def test_csv_keeps_a_formula_looking_name_as_text(client, api_token, world):
    response = client.get(
        "/api/v1/calls.csv",
        query_string={"status": "busy"},
        headers={"Authorization": f"Bearer {api_token(world['auditor'])}"},
    )

    header, row = _csv(response)
    assert dict(zip(header, row, strict=True))["candidate_name"] == "'=HYPERLINK(evil)"


def test_csv_masks_phone_numbers_when_configured(database_url, world, api_token):
    from ivr import create_app

    app = create_app(base_env(database_url, MASK_PHONE_NUMBERS_IN_EXPORTS="true"))
    response = app.test_client().get(
        "/api/v1/calls.csv",
        query_string={"candidate_id": world["ann"].id},
        headers={"Authorization": f"Bearer {api_token(world['auditor'])}"},
    )
    header, *rows = _csv(response)  # read the stream before the engine goes away
    app.extensions["db_engine"].dispose()
    numbers = [dict(zip(header, r, strict=True))["candidate_number"] for r in rows]
    phone = world["ann"].phone
    assert numbers == ["+" + "*" * (len(phone) - 5) + phone[-4:]] * 2
    assert phone not in response.get_data(as_text=True)


def _peak_while_streaming(client, token) -> tuple[int, int]:
    response = client.get("/api/v1/calls.csv", headers={"Authorization": f"Bearer {token}"})
    tracemalloc.start()
    rows = 0
    for chunk in response.response:  # consume the stream chunk by chunk, as a socket would
        rows += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    response.close()
    return rows - 1, peak


def test_csv_export_streams_in_constant_memory(app, api_token, session, make_user):
    client = app.test_client()
    auditor, riley = make_user("auditor"), make_user()
    token = api_token(auditor)
    _bulk_calls(session, riley.id, T0, 2_000)
    small_rows, small_peak = _peak_while_streaming(client, token)
    _bulk_calls(session, riley.id, T0 + timedelta(days=1), 18_000)
    large_rows, large_peak = _peak_while_streaming(client, token)

    assert (small_rows, large_rows) == (2_000, 20_000)
    # Ten times the rows must not cost anything like ten times the memory: a buffered export
    # holds every row, a streamed one only a batch.
    assert large_peak < 2 * small_peak, (small_peak, large_peak)


def test_every_auditor_read_is_recorded_with_who_what_and_where(client, api_token, world, session):
    token = api_token(world["auditor"])
    headers = {"Authorization": f"Bearer {token}", "User-Agent": "audit-suite/1"}

    client.get("/api/v1/calls", query_string={"direction": "inbound"}, headers=headers)
    client.get(f"/api/v1/calls/{world['ann_offer']}", headers=headers)
    client.get("/api/v1/calls.csv", query_string={"has_voicemail": "true"}, headers=headers)

    records = session.scalars(select(AccessRecord).order_by(AccessRecord.seq)).all()
    assert [(r.action, r.target, r.filters) for r in records] == [
        ("api.calls.list", "", {"direction": "inbound"}),
        ("api.calls.read", f"call:{world['ann_offer']}", {}),
        ("api.calls.export", "", {"has_voicemail": "true"}),
    ]
    assert {r.user_id for r in records} == {world["auditor"].id}
    assert {(r.ip, r.user_agent) for r in records} == {("127.0.0.1", "audit-suite/1")}
    assert all(r.created_at is not None for r in records)
    assert verify_chain(session, AccessRecord).ok


def test_a_recruiter_reading_their_own_calls_leaves_no_access_record(
    client, api_token, world, session
):
    listed(client, api_token(world["riley"]))

    assert session.scalar(select(func.count()).select_from(AccessRecord)) == 0


def test_access_records_are_visible_to_admins(client, api_token, world, make_user):
    listed(client, api_token(world["auditor"]), status="busy")
    admin_token = api_token(make_user("admin"))

    response = client.get(
        "/api/v1/access-records", headers={"Authorization": f"Bearer {admin_token}"}
    )

    assert response.status_code == 200
    [record] = response.json["access_records"]
    assert (record["user_id"], record["action"], record["filters"]) == (
        world["auditor"].id,
        "api.calls.list",
        {"status": "busy"},
    )
