"""The call log's filters read from a query string and written back to one, its page sizes,
and its cursors: what a listing gave out decodes to the same place, anything else is refused."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ivr.calllog import (
    CallFilter,
    FilterError,
    decode_cursor,
    encode_cursor,
    parse_limit,
)
from ivr.keyset import MAX_PAGE_SIZE, PAGE_SIZE

MOMENT = datetime(2025, 3, 9, 14, 30, 5, 123456, tzinfo=UTC)


def token(data: object) -> str:
    """A cursor-shaped token around any JSON, as a client could forge one."""
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


# Filters from the query string ---------------------------------------------------------------


def test_no_arguments_mean_every_call_newest_first():
    assert CallFilter.from_args({}) == CallFilter(order="newest")


def test_empty_and_blank_arguments_mean_any():
    assert CallFilter.from_args({"since": "", "status": "  ", "direction": ""}) == CallFilter()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"recruiter_id": "7"}, CallFilter(recruiter_id=7)),
        ({"candidate_id": " 2147483647 "}, CallFilter(candidate_id=2**31 - 1)),
        ({"direction": "inbound"}, CallFilter(direction="inbound")),
        ({"status": "no-answer"}, CallFilter(status="no-answer")),
        ({"outcome": "3"}, CallFilter(outcome="3")),
        ({"outcome": "none"}, CallFilter(outcome="none")),
        ({"has_voicemail": "true"}, CallFilter(has_voicemail=True)),
        ({"has_voicemail": "false"}, CallFilter(has_voicemail=False)),
        ({"order": "oldest"}, CallFilter(order="oldest")),
    ],
)
def test_each_argument_reads_into_its_field(args, expected):
    assert CallFilter.from_args(args) == expected


def test_a_bare_since_date_starts_that_utc_day_and_until_ends_it():
    flt = CallFilter.from_args({"since": "2025-03-09", "until": "2025-03-09"})

    assert (flt.since, flt.until) == (
        datetime(2025, 3, 9, tzinfo=UTC),
        datetime(2025, 3, 10, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-03-09T14:30:00Z", datetime(2025, 3, 9, 14, 30, tzinfo=UTC)),
        ("2025-03-09T14:30:00", datetime(2025, 3, 9, 14, 30, tzinfo=UTC)),  # naive: UTC
        ("2025-03-09T10:30:00-04:00", datetime(2025, 3, 9, 14, 30, tzinfo=UTC)),
        ("2025-03-09T15:30:00+01:00", datetime(2025, 3, 9, 14, 30, tzinfo=UTC)),
    ],
)
def test_a_date_time_is_read_in_utc(raw, expected):
    since = CallFilter.from_args({"since": raw}).since

    assert since == expected
    assert since.utcoffset() == timedelta(0)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"since": "2025-02-30"}, "since"),
        ({"until": "2025-03-09T25:00"}, "until"),
        ({"recruiter_id": "0"}, "recruiter_id"),
        ({"recruiter_id": "-1"}, "recruiter_id"),
        ({"recruiter_id": "2147483648"}, "recruiter_id"),
        ({"recruiter_id": "99999999999999999999"}, "recruiter_id"),
        ({"candidate_id": "7.0"}, "candidate_id"),
        ({"direction": "sideways"}, "direction"),
        ({"direction": "Inbound"}, "direction"),
        ({"status": "lost"}, "status"),
        ({"outcome": "10"}, "outcome"),
        ({"outcome": "x"}, "outcome"),
        ({"outcome": "None"}, "outcome"),
        ({"has_voicemail": "yes"}, "has_voicemail"),
        ({"order": "random"}, "order"),
    ],
)
def test_a_bad_argument_is_refused_naming_its_field(args, field):
    with pytest.raises(FilterError) as refused:
        CallFilter.from_args(args)

    assert refused.value.field == field
    assert str(refused.value).startswith(f"{field}: ")


@pytest.mark.parametrize(
    ("since", "until"),
    [("2025-03-09T12:00:00Z", "2025-03-09T12:00:00Z"), ("2025-03-10", "2025-03-08")],
)
def test_until_must_be_later_than_since(since, until):
    with pytest.raises(FilterError) as refused:
        CallFilter.from_args({"since": since, "until": until})

    assert (refused.value.field, refused.value.reason) == ("until", "must be later than since")


# Filters back to the query string -------------------------------------------------------------


def test_the_default_filter_has_no_arguments():
    assert CallFilter().as_args() == {}


def test_every_field_is_written_back_as_an_argument():
    flt = CallFilter(
        since=datetime(2025, 3, 9, tzinfo=UTC),
        until=datetime(2025, 3, 10, 12, 0, tzinfo=UTC),
        recruiter_id=7,
        candidate_id=12,
        direction="outbound",
        status="completed",
        outcome="none",
        has_voicemail=False,
        order="oldest",
    )

    assert flt.as_args() == {
        "since": "2025-03-09T00:00:00Z",
        "until": "2025-03-10T12:00:00Z",
        "recruiter_id": "7",
        "candidate_id": "12",
        "direction": "outbound",
        "status": "completed",
        "outcome": "none",
        "has_voicemail": "false",
        "order": "oldest",
    }


@pytest.mark.parametrize(
    "args",
    [
        {},
        {"since": "2025-03-09", "until": "2025-03-11T08:00:00+02:00", "order": "oldest"},
        {"recruiter_id": "3", "direction": "inbound", "has_voicemail": "true", "outcome": "2"},
        {"status": "busy", "outcome": "none", "candidate_id": "40"},
    ],
)
def test_a_filter_survives_the_round_trip_through_its_arguments(args):
    flt = CallFilter.from_args(args)

    assert CallFilter.from_args(flt.as_args()) == flt


# Page sizes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "limit"), [(None, PAGE_SIZE), ("", PAGE_SIZE), ("1", 1), ("200", MAX_PAGE_SIZE)]
)
def test_a_page_size_is_read_or_defaults(raw, limit):
    assert parse_limit(raw) == limit


@pytest.mark.parametrize("raw", ["0", "201", "-5", "ten", "1e2", " 5"])
def test_a_bad_page_size_is_refused(raw):
    with pytest.raises(FilterError) as refused:
        parse_limit(raw)

    assert refused.value.field == "limit"


# Cursors -------------------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["newest", "oldest"])
def test_a_cursor_decodes_to_the_row_it_was_made_from(order):
    cursor = encode_cursor(MOMENT, 42, order)

    assert decode_cursor(cursor, order) == (MOMENT, 42)


def test_a_cursor_is_opaque_and_url_safe():
    cursor = encode_cursor(MOMENT, 42, "newest")

    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_a_cursor_made_in_another_timezone_decodes_to_utc():
    moment = MOMENT.astimezone(timezone(timedelta(hours=-5)))

    decoded, _ = decode_cursor(encode_cursor(moment, 42, "newest"), "newest")

    assert decoded == MOMENT
    assert decoded.tzinfo is UTC


def test_a_cursor_for_the_other_order_is_refused():
    cursor = encode_cursor(MOMENT, 42, "newest")

    with pytest.raises(FilterError) as refused:
        decode_cursor(cursor, "oldest")

    assert refused.value.field == "cursor"


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "not a cursor",
        "!!!!",
        "=" * 8,
        base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(),  # not UTF-8
        base64.urlsafe_b64encode(b"{not json").decode(),
        token([]),
        token("a string"),
        token(42),
        token({"id": 42, "o": "newest"}),  # no time
        token({"t": "2025-03-09T14:30:00Z", "o": "newest"}),  # no id
        token({"t": "2025-03-09T14:30:00Z", "id": 42}),  # no order
        token({"t": "2025-03-09T14:30:00Z", "id": "42", "o": "newest"}),
        token({"t": "2025-03-09T14:30:00Z", "id": 4.2, "o": "newest"}),
        token({"t": "2025-03-09T14:30:00", "id": 42, "o": "newest"}),  # naive time
        token({"t": "2025-03-09", "id": 42, "o": "newest"}),
        token({"t": "soon", "id": 42, "o": "newest"}),
        token({"t": None, "id": 42, "o": "newest"}),
    ],
)
def test_a_junk_cursor_is_refused_naming_the_cursor(junk):
    with pytest.raises(FilterError) as refused:
        decode_cursor(junk, "newest")

    assert refused.value.field == "cursor"
    assert "not a cursor this listing gave out" in refused.value.reason


@pytest.mark.parametrize("call_id", [True, -1, 2**31, 10**30])
def test_a_cursor_with_an_id_no_call_can_have_is_refused(call_id):
    forged = token({"t": "2025-03-09T14:30:05Z", "id": call_id, "o": "newest"})

    with pytest.raises(FilterError) as refused:
        decode_cursor(forged, "newest")

    assert refused.value.field == "cursor"


# Hostile and odd input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"until": "9999-12-31"}, "until"),
        ({"since": "9999-12-31T23:59:59-05:00"}, "since"),
        ({"until": "0001-01-01T00:00:00+05:00"}, "until"),
        ({"recruiter_id": "²"}, "recruiter_id"),
        ({"candidate_id": "１２"}, "candidate_id"),
        ({"outcome": "²"}, "outcome"),
    ],
)
def test_extreme_or_odd_filters_are_refused_naming_the_field(args, field):
    with pytest.raises(FilterError) as refused:
        CallFilter.from_args(args)

    assert refused.value.field == field


@pytest.mark.parametrize("raw", ["²", "١٢", "9" * 5000])
def test_odd_page_sizes_are_refused(raw):
    with pytest.raises(FilterError) as refused:
        parse_limit(raw)

    assert refused.value.field == "limit"


@pytest.mark.parametrize(
    "forged",
    [
        base64.urlsafe_b64encode(b"[" * 100_000).decode(),
        base64.urlsafe_b64encode(b'{"t": ' + b"[" * 5000 + b"]" * 5000 + b"}").decode(),
        "A" * 100_000,
    ],
)
def test_a_deeply_nested_or_huge_cursor_is_refused(forged):
    with pytest.raises(FilterError) as refused:
        decode_cursor(forged, "newest")

    assert refused.value.field == "cursor"
