"""The candidate list's filters read from a query string and written back to one, its page sizes,
and its cursors for each sort: what a listing gave out decodes to the same place, anything else
is refused."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from ivr.candidates.search import (
    MAX_DAYS,
    MAX_QUERY,
    NEVER,
    CandidateFilter,
    SearchError,
    decode_cursor,
    encode_cursor,
    parse_limit,
)
from ivr.keyset import MAX_PAGE_SIZE, PAGE_SIZE
from models import Candidate
from models.base import MAX_ID
from models.candidate import STAGES

BY_NAME = CandidateFilter(sort="name")
BY_STAGE = CandidateFilter(sort="stage")
BY_LAST_CONTACT = CandidateFilter(sort="last_contact")
CONTACTED = datetime(2025, 3, 9, 14, 30, 5, tzinfo=UTC)


def candidate(**fields: object) -> Candidate:
    """A candidate as a page row: never stored, so no database is needed."""
    values: dict[str, object] = {
        "id": 42,
        "name": "Jane Doe",
        "phone": "+14155550133",
        "code": "123456",
        "stage": "applied",
    }
    values.update(fields)
    return Candidate(**values)


def token(data: object) -> str:
    """A cursor-shaped token around any JSON, as a client could forge one."""
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


# Filters from the query string ---------------------------------------------------------------


def test_no_arguments_mean_my_candidates_by_name():
    assert CandidateFilter.from_args({}) == CandidateFilter(scope="mine", sort="name")


def test_empty_and_blank_arguments_mean_any():
    assert CandidateFilter.from_args({"q": "  ", "stage": "", "sort": ""}) == CandidateFilter()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"q": "  Jane  "}, CandidateFilter(q="Jane")),
        ({"q": "(415) 555-0133"}, CandidateFilter(q="(415) 555-0133")),
        ({"q": "x" * MAX_QUERY}, CandidateFilter(q="x" * MAX_QUERY)),
        ({"stage": "offer"}, CandidateFilter(stage="offer")),
        ({"owner_id": "7"}, CandidateFilter(owner_id=7)),
        ({"owner_id": str(MAX_ID)}, CandidateFilter(owner_id=MAX_ID)),
        ({"do_not_call": "true"}, CandidateFilter(do_not_call=True)),
        ({"do_not_call": "false"}, CandidateFilter(do_not_call=False)),
        ({"not_called_days": "1"}, CandidateFilter(not_called_days=1)),
        ({"not_called_days": str(MAX_DAYS)}, CandidateFilter(not_called_days=MAX_DAYS)),
        ({"scope": "team"}, CandidateFilter(scope="team")),
        ({"sort": "last_contact"}, CandidateFilter(sort="last_contact")),
    ],
)
def test_each_argument_reads_into_its_field(args, expected):
    assert CandidateFilter.from_args(args) == expected


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"q": "x" * (MAX_QUERY + 1)}, "q"),
        ({"q": "Jane\x00Doe"}, "q"),
        ({"q": "Jane\x1bDoe"}, "q"),
        ({"stage": "Offer"}, "stage"),
        ({"stage": "rejected"}, "stage"),
        ({"owner_id": "0"}, "owner_id"),
        ({"owner_id": "-3"}, "owner_id"),
        ({"owner_id": str(MAX_ID + 1)}, "owner_id"),
        ({"owner_id": "me"}, "owner_id"),
        ({"do_not_call": "yes"}, "do_not_call"),
        ({"not_called_days": "0"}, "not_called_days"),
        ({"not_called_days": str(MAX_DAYS + 1)}, "not_called_days"),
        ({"not_called_days": "00030"}, "not_called_days"),
        ({"not_called_days": "a week"}, "not_called_days"),
        ({"scope": "everyone"}, "scope"),
        ({"sort": "phone"}, "sort"),
    ],
)
def test_a_bad_argument_is_refused_naming_its_field(args, field):
    with pytest.raises(SearchError) as refused:
        CandidateFilter.from_args(args)

    assert refused.value.field == field
    assert str(refused.value).startswith(f"{field}: ")


# Filters back to the query string -------------------------------------------------------------


def test_the_default_filter_has_no_arguments():
    assert CandidateFilter().as_args() == {}


def test_every_field_that_is_not_its_default_is_written_back():
    flt = CandidateFilter(
        q="jane",
        stage="screening",
        owner_id=7,
        do_not_call=False,
        not_called_days=30,
        scope="team",
        sort="stage",
    )

    assert flt.as_args() == {
        "q": "jane",
        "stage": "screening",
        "owner_id": "7",
        "do_not_call": "false",
        "not_called_days": "30",
        "scope": "team",
        "sort": "stage",
    }


@pytest.mark.parametrize(
    "args",
    [
        {},
        {"q": "+1 415 555 0133", "scope": "team", "sort": "last_contact"},
        {"stage": "hired", "owner_id": "3", "do_not_call": "true", "not_called_days": "14"},
        {"do_not_call": "false", "sort": "stage"},
    ],
)
def test_a_filter_survives_the_round_trip_through_its_arguments(args):
    flt = CandidateFilter.from_args(args)

    assert CandidateFilter.from_args(flt.as_args()) == flt


# Page sizes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "limit"), [(None, PAGE_SIZE), ("", PAGE_SIZE), ("1", 1), ("200", MAX_PAGE_SIZE)]
)
def test_a_page_size_is_read_or_defaults(raw, limit):
    assert parse_limit(raw) == limit


@pytest.mark.parametrize("raw", ["0", "201", "-5", "ten", "1e2"])
def test_a_bad_page_size_is_refused(raw):
    with pytest.raises(SearchError) as refused:
        parse_limit(raw)

    assert refused.value.field == "limit"


# Cursors -------------------------------------------------------------------------------------


def test_a_name_cursor_holds_the_name_in_lower_case():
    cursor = encode_cursor(candidate(name="Jane DOE"), BY_NAME)

    assert decode_cursor(cursor, BY_NAME) == ("jane doe", 42)


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_cursor_holds_the_stages_rank(stage):
    cursor = encode_cursor(candidate(stage=stage), BY_STAGE)

    assert decode_cursor(cursor, BY_STAGE) == (STAGES.index(stage), 42)


def test_a_last_contact_cursor_holds_the_moment():
    cursor = encode_cursor(candidate(last_contact_at=CONTACTED), BY_LAST_CONTACT)

    assert decode_cursor(cursor, BY_LAST_CONTACT) == (CONTACTED, 42)


def test_a_never_contacted_candidate_sorts_as_contacted_at_the_epoch():
    cursor = encode_cursor(candidate(last_contact_at=None), BY_LAST_CONTACT)

    assert decode_cursor(cursor, BY_LAST_CONTACT) == (NEVER, 42)


def test_a_cursor_keeps_a_name_with_accents_and_quotes():
    cursor = encode_cursor(candidate(name='Zoë "Zed" Ångström'), BY_NAME)

    assert decode_cursor(cursor, BY_NAME) == ('zoë "zed" ångström', 42)


def test_a_cursor_is_opaque_and_url_safe():
    cursor = encode_cursor(candidate(name="Jane Doe/+?&"), BY_NAME)

    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_a_cursor_for_another_sort_is_refused():
    cursor = encode_cursor(candidate(), BY_NAME)

    with pytest.raises(SearchError) as refused:
        decode_cursor(cursor, BY_STAGE)

    assert refused.value.field == "cursor"


def test_a_cursor_ignores_the_other_filters():
    cursor = encode_cursor(candidate(), BY_NAME)

    assert decode_cursor(cursor, CandidateFilter(q="jane", scope="team")) == ("jane doe", 42)


@pytest.mark.parametrize(
    ("junk", "flt"),
    [
        ("", BY_NAME),
        ("not a cursor", BY_NAME),
        ("!!!!", BY_NAME),
        (base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(), BY_NAME),  # not UTF-8
        (base64.urlsafe_b64encode(b"{not json").decode(), BY_NAME),
        (token({"k": "jane " * 200, "id": 42, "s": "name"}), BY_NAME),  # over 1000 characters
        (token([]), BY_NAME),
        (token("a string"), BY_NAME),
        (token({"id": 42, "s": "name"}), BY_NAME),  # no key
        (token({"k": "jane", "s": "name"}), BY_NAME),  # no id
        (token({"k": "jane", "id": 42}), BY_NAME),  # no sort
        (token({"k": "jane", "id": "42", "s": "name"}), BY_NAME),
        (token({"k": "jane", "id": -1, "s": "name"}), BY_NAME),
        (token({"k": "jane", "id": MAX_ID + 1, "s": "name"}), BY_NAME),
        (token({"k": 7, "id": 42, "s": "name"}), BY_NAME),
        (token({"k": "jane\u0000", "id": 42, "s": "name"}), BY_NAME),
        (token({"k": "offer", "id": 42, "s": "stage"}), BY_STAGE),
        (token({"k": -1, "id": 42, "s": "stage"}), BY_STAGE),
        (token({"k": len(STAGES), "id": 42, "s": "stage"}), BY_STAGE),
        (token({"k": "2025-03-09T14:30:05", "id": 42, "s": "last_contact"}), BY_LAST_CONTACT),
        (token({"k": "last week", "id": 42, "s": "last_contact"}), BY_LAST_CONTACT),
        (token({"k": None, "id": 42, "s": "last_contact"}), BY_LAST_CONTACT),
    ],
)
def test_a_junk_cursor_is_refused_naming_the_cursor(junk, flt):
    with pytest.raises(SearchError) as refused:
        decode_cursor(junk, flt)

    assert (refused.value.field, refused.value.reason) == (
        "cursor",
        "not a cursor this listing gave out",
    )
