"""The one parser of webhook query arguments: bounded, and never int() on unchecked input."""

from __future__ import annotations

import pytest

from ivr.voice.hook import MAX_ATTEMPT, MAX_HUNT_INDEX, Args, bounded, parse_args
from models.base import MAX_ID


def test_our_own_arguments_are_read():
    assert parse_args({"attempt": "3", "i": "2", "r": "17", "task": "42"}) == Args(
        attempt=3, index=2, recruiter_id=17, task_id=42
    )


def test_missing_arguments_take_their_defaults():
    assert parse_args({}) == Args(attempt=1, index=0, recruiter_id=None, task_id=None)


@pytest.mark.parametrize(
    "junk",
    ["", "²", "٣", "1.5", "-1", "+2", " 2", "2 ", "0x2", "1e3", "abc", "9" * 400],
)
def test_junk_is_the_default_not_an_error(junk):
    assert parse_args({"attempt": junk, "i": junk, "r": junk, "task": junk}) == Args()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("attempt", "0"),
        ("attempt", str(MAX_ATTEMPT + 1)),
        ("i", str(MAX_HUNT_INDEX + 1)),
        ("r", "0"),
        ("r", str(MAX_ID + 1)),
        ("task", "0"),
        ("task", "99999999999"),
    ],
)
def test_out_of_bounds_is_the_default(name, value):
    assert parse_args({name: value}) == Args()


@pytest.mark.parametrize(
    ("name", "value", "field", "parsed"),
    [
        ("attempt", str(MAX_ATTEMPT), "attempt", MAX_ATTEMPT),
        ("i", "0", "index", 0),
        ("i", str(MAX_HUNT_INDEX), "index", MAX_HUNT_INDEX),
        ("r", str(MAX_ID), "recruiter_id", MAX_ID),
        ("task", "1", "task_id", 1),
    ],
)
def test_the_bounds_themselves_are_in(name, value, field, parsed):
    assert getattr(parse_args({name: value}), field) == parsed


def test_bounded_reads_only_ascii_digits_within_bounds():
    assert (bounded("07", 1, 9), bounded("10", 1, 9), bounded("٣", 1, 9), bounded(None, 1, 9)) == (
        7,
        None,
        None,
        None,
    )


# The webhook's form, bounded and cleaned at the edge ----------------------------------------


def test_a_webhook_field_is_cut_to_what_its_column_holds():
    from ivr.callflow.events import MAX_VALUE_LENGTH, webhook_payload

    payload = webhook_payload(
        {"CallSid": "CA" + "a" * 700_000, "Digits": "1" * 5000, "Anything": "x" * 700_000}
    )

    assert payload["CallSid"] == "CA" + "a" * 32
    assert len(payload["Digits"]) == 40
    assert len(payload["Anything"]) == MAX_VALUE_LENGTH


def test_characters_no_column_or_xml_can_hold_are_removed():
    from ivr.callflow.events import webhook_payload

    payload = webhook_payload({"Digits": "1\x002\x0b3", "Caller\x00": "Ann\ufffe"})

    assert payload == {"Digits": "123", "Caller": "Ann"}


def test_a_webhook_with_thousands_of_fields_keeps_a_bounded_number():
    from ivr.callflow.events import MAX_FIELDS, webhook_payload

    payload = webhook_payload({f"F{n}": "x" for n in range(10_000)})

    assert len(payload) == MAX_FIELDS


@pytest.mark.parametrize("odd", ["²", "8２١0", "1" * 10, "-1", "1.5", ""])
def test_a_number_field_that_is_not_a_plain_whole_number_is_dropped(odd):
    from ivr.callflow.events import webhook_payload

    assert webhook_payload({"CallDuration": odd, "DialCallDuration": "42"}) == {
        "DialCallDuration": "42"
    }
