"""The candidate record's rules, below every surface (page, API, import): parsing, creating,
changing, the chained events each change writes, upserts by an ATS's key, notes, search."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.candidates import records
from ivr.candidates.records import CandidateError, Rules
from ivr.candidates.search import CandidateFilter, page_of_candidates
from models import CallEvent, Candidate
from models.chain import verify_chain

US = Rules(region="US", default_timezone="America/Chicago")
GB = Rules(region="GB", default_timezone="Europe/London")


@pytest.fixture
def db(database_url):
    from sqlalchemy import create_engine

    engine = create_engine(database_url)
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.fixture
def recruiter(make_user):
    return make_user(name="Riley Recruiter")


def events(db, candidate) -> list[CallEvent]:
    return list(
        db.scalars(
            select(CallEvent).where(CallEvent.candidate_id == candidate.id).order_by(CallEvent.seq)
        )
    )


def create(db, actor, rules=US, **data):
    fields = records.parse_fields({"name": "Jane Doe", "phone": "(415) 555-0133", **data}, rules)
    candidate = records.create_candidate(db, actor, fields, rules, via="test")
    db.commit()
    return candidate


@pytest.mark.parametrize(
    ("typed", "rules", "stored"),
    [
        ("(415) 555-0133", US, "+14155550133"),
        ("+44 20 7946 0958", US, "+442079460958"),
        ("020 7946 0958", GB, "+442079460958"),
    ],
)
def test_phone_numbers_are_read_as_people_type_them(typed, rules, stored):
    assert records.parse_fields({"phone": typed}, rules)["phone"] == stored


def test_an_invalid_phone_is_refused_with_a_reason():
    with pytest.raises(CandidateError) as refused:
        records.parse_fields({"phone": "555-01"}, US)

    assert refused.value.field == "phone"
    assert "not a valid phone number" in refused.value.reason


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"stage": "hired!"}, "stage"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"owner_id": "x"}, "owner_id"),
        ({"owner_id": 2**40}, "owner_id"),
        ({"email": "not-an-email"}, "email"),
        ({"name": "Jane\x0bDoe"}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
    ],
)
def test_bad_fields_are_refused_naming_the_field(data, field):
    with pytest.raises(CandidateError) as refused:
        records.parse_fields(data, US)

    assert refused.value.field == field


def test_timezone_defaults_from_the_phone_numbers_region(db, recruiter):
    london = create(db, recruiter, phone="+44 20 7946 0958")
    sf = create(db, recruiter, phone="(415) 555-0133", name="Sam Francisco")

    assert london.timezone == "Europe/London"
    assert sf.timezone == "America/Los_Angeles"


def test_a_number_spread_over_many_zones_takes_the_teams_timezone(db, recruiter):
    candidate = create(db, recruiter, phone="+1 500 555 0201")

    assert candidate.timezone == "America/Chicago"


def test_a_recruiters_new_candidate_is_theirs_and_its_creation_is_chained(db, recruiter):
    candidate = create(db, recruiter)

    assert candidate.owner_id == recruiter.id
    assert len(candidate.code) == 6
    assert candidate.code.isdigit()
    [created] = events(db, candidate)
    assert (created.kind, created.actor_id) == ("candidate.created", recruiter.id)
    assert verify_chain(db, CallEvent).ok


def test_the_same_phone_twice_is_refused_with_the_existing_candidates_id(db, recruiter):
    first = create(db, recruiter)

    with pytest.raises(CandidateError) as refused:
        create(db, recruiter, phone="+1 415 555 0133", name="Someone Else")

    assert (refused.value.status, refused.value.existing_id) == (409, first.id)


def test_an_owner_must_be_an_active_recruiter(db, recruiter, make_user):
    auditor = make_user("auditor")

    with pytest.raises(CandidateError) as refused:
        create(db, recruiter, owner_id=auditor.id)

    assert refused.value.field == "owner_id"


def test_stage_owner_and_do_not_call_changes_are_chained_with_from_to_and_why(
    db, recruiter, make_user
):
    other = make_user(name="Olive Other")
    candidate = create(db, recruiter)

    records.update_candidate(db, recruiter, candidate,
                             {"stage": "interviewing", "reason": "passed the screen"}, US,
                             via="test")  # fmt: skip
    records.update_candidate(db, recruiter, candidate,
                             {"do_not_call": True, "reason": "asked not to be called"}, US,
                             via="test")  # fmt: skip
    records.update_candidate(db, recruiter, candidate, {"owner_id": other.id, "reason": "leave"},
                             US, via="test")  # fmt: skip
    db.commit()

    changes = {e.kind: e for e in events(db, candidate)}
    stage = changes["candidate.stage_changed"]
    assert (stage.detail["from"], stage.detail["to"]) == ("applied", "interviewing")
    assert stage.detail["reason"] == "passed the screen"
    assert stage.actor_id == recruiter.id
    assert changes["candidate.do_not_call"].detail["reason"] == "asked not to be called"
    owner = changes["candidate.owner_changed"]
    assert (owner.detail["from"], owner.detail["to"]) == (recruiter.id, other.id)
    assert candidate.do_not_call_reason == "asked not to be called"
    assert verify_chain(db, CallEvent).ok


def test_clearing_do_not_call_needs_a_written_reason(db, recruiter):
    candidate = create(db, recruiter, do_not_call=True, do_not_call_reason="wrong number")

    with pytest.raises(CandidateError) as refused:
        records.update_candidate(db, recruiter, candidate, {"do_not_call": False}, US, via="t")
    db.rollback()
    records.update_candidate(db, recruiter, candidate,
                             {"do_not_call": False, "reason": "right number after all"}, US,
                             via="test")  # fmt: skip
    db.commit()

    assert refused.value.field == "reason"
    assert candidate.do_not_call is False
    assert events(db, candidate)[-1].kind == "candidate.do_not_call_cleared"


def test_only_the_owner_or_an_admin_changes_a_candidate(db, recruiter, make_user):
    candidate = create(db, recruiter)
    other, admin = make_user(), make_user("admin")

    with pytest.raises(CandidateError) as refused:
        records.update_candidate(db, other, candidate, {"stage": "offer"}, US, via="test")
    db.rollback()
    records.update_candidate(db, admin, candidate, {"stage": "offer"}, US, via="test")

    assert refused.value.status == 403
    assert candidate.stage == "offer"


def test_detail_changes_chain_the_field_names_not_the_values(db, recruiter):
    candidate = create(db, recruiter)

    records.update_candidate(db, recruiter, candidate,
                             records.parse_fields({"email": "jane@example.net"}, US), US,
                             via="test")  # fmt: skip
    db.commit()

    change = events(db, candidate)[-1]
    assert change.kind == "candidate.details_changed"
    assert change.detail["fields"] == ["email"]
    assert "jane@example.net" not in str(change.detail)


def test_an_upsert_twice_with_the_same_body_writes_nothing_new(db, recruiter):
    body = records.parse_fields({"name": "Ada Lovelace", "phone": "+44 20 7946 0958",
                                 "stage": "screening"}, US)  # fmt: skip

    first, created = records.upsert(db, recruiter, "greenhouse", "gh-1", body, US, via="t")
    db.commit()
    count = len(events(db, first))
    again, created_again = records.upsert(db, recruiter, "greenhouse", "gh-1", body, US, via="t")
    db.commit()

    assert (created, created_again, again.id) == (True, False, first.id)
    assert len(events(db, first)) == count


def test_an_upsert_adopts_a_candidate_matched_on_phone(db, recruiter):
    existing = create(db, recruiter, phone="+44 20 7946 0958")
    body = records.parse_fields({"phone": "+442079460958", "stage": "screening"}, US)

    found, created = records.upsert(db, recruiter, "lever", "lv-9", body, US, via="t")
    db.commit()

    assert (found.id, created) == (existing.id, False)
    assert (found.source, found.external_id, found.stage) == ("lever", "lv-9", "screening")


def test_notes_are_chained_and_only_the_owner_writes_them(db, recruiter, make_user):
    candidate = create(db, recruiter)

    note = records.add_note(db, recruiter, "  Prefers mornings.\r\nSpeaks French. ",
                            candidate=candidate)  # fmt: skip
    db.commit()
    with pytest.raises(CandidateError) as refused:
        records.add_note(db, make_user("auditor"), "hello", candidate=candidate)

    assert note.detail == {"text": "Prefers mornings.\nSpeaks French."}
    assert refused.value.status == 403


@pytest.mark.parametrize("q", ["(415) 555-0133", "+1 415 555 0133", "0133", "jane", "JANE@EX"])
def test_search_finds_by_name_phone_in_any_format_or_email(db, recruiter, make_user, q):
    jane = create(db, recruiter, email="jane@example.net")
    create(db, recruiter, name="Bob Other", phone="+44 20 7946 0958")

    page = page_of_candidates(db, recruiter, CandidateFilter(q=q), None, 10, US,
                              datetime.now(UTC))  # fmt: skip

    assert [c.id for c in page.candidates] == [jane.id]


def test_search_by_code_and_not_called_in_n_days(db, recruiter):
    jane = create(db, recruiter)
    bob = create(db, recruiter, name="Bob Other", phone="+44 20 7946 0958")
    bob.last_contact_at = datetime.now(UTC) - timedelta(days=1)
    jane.last_contact_at = datetime.now(UTC) - timedelta(days=30)
    db.commit()
    now = datetime.now(UTC)

    by_code = page_of_candidates(db, recruiter, CandidateFilter(q=jane.code), None, 10, US, now)
    stale = page_of_candidates(db, recruiter, CandidateFilter(not_called_days=7), None, 10, US,
                               now)  # fmt: skip

    assert [c.id for c in by_code.candidates] == [jane.id]
    assert [c.id for c in stale.candidates] == [jane.id]


@pytest.mark.parametrize("sort", ["name", "stage", "last_contact"])
def test_keyset_pages_walk_every_candidate_once_in_order(db, recruiter, sort):
    stages = ["offer", "applied", "screening", "hired", "interviewing"]
    for n in range(11):
        candidate = Candidate(name=f"{'zyxwvutsrqp'[n]} Person", phone=f"+1415555{1000 + n}",
                              code=f"{200000 + n}", owner_id=recruiter.id, stage=stages[n % 5],
                              last_contact_at=None if n % 3 else datetime(2026, 1, n + 1,
                                                                          tzinfo=UTC))  # fmt: skip
        db.add(candidate)
    db.commit()
    flt = CandidateFilter(sort=sort)
    now = datetime.now(UTC)

    seen, cursor = [], None
    while True:
        page = page_of_candidates(db, recruiter, flt, cursor, 4, US, now)
        seen += page.candidates
        cursor = page.next_cursor
        if cursor is None:
            break

    assert len({c.id for c in seen}) == 11
    if sort == "name":
        assert [c.name for c in seen] == sorted(c.name for c in seen)
    if sort == "stage":
        from models.candidate import STAGES

        ranks = [STAGES.index(c.stage) for c in seen]
        assert ranks == sorted(ranks)
    if sort == "last_contact":
        never = datetime(1970, 1, 1, tzinfo=UTC)
        keys = [c.last_contact_at or never for c in seen]
        assert keys == sorted(keys)
