"""The TwiML builders alone: data and URLs in, TwiML out, parsed with ElementTree."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from twilio.twiml.voice_response import VoiceResponse

from ivr.callflow.dial_in import Note, Said, WaitingCallback
from ivr.callflow.inbound import Greeting, VoicemailReason
from twiml import common, dial_in, hours, inbound, outbound

ACTION = "https://ivr.example.com/voice/action"
RETRY = "https://ivr.example.com/voice/retry"


def parse(response: VoiceResponse) -> ET.Element:
    root = ET.fromstring(str(response))
    assert root.tag == "Response"
    return root


def verbs(root: ET.Element) -> list[str]:
    return [child.tag for child in root]


def said(element: ET.Element) -> list[str]:
    return [say.text or "" for say in element.iter("Say")]


def keys(gather: ET.Element) -> tuple[str | None, str | None, str | None]:
    """How many keys a <Gather> takes, how long it waits, and where it posts them."""
    return gather.get("numDigits"), gather.get("timeout"), gather.get("action")


# Common ----------------------------------------------------------------------------------------


def test_every_sentence_is_spoken_in_the_one_voice():
    root = parse(common.apology())

    assert [(s.get("voice"), s.get("language")) for s in root.iter("Say")] == [
        ("Polly.Joanna", "en-US")
    ]


def test_the_apology_says_sorry_and_hangs_up():
    root = parse(common.apology())

    assert verbs(root) == ["Say", "Hangup"]
    assert said(root) == [
        "Sorry, something went wrong on our side. Please try again in a few minutes."
    ]


@pytest.mark.parametrize(
    ("text", "spoken"),
    [("", "Goodbye."), ("The call was not connected.", "The call was not connected. Goodbye.")],
)
def test_goodbye_ends_what_it_says_with_goodbye_and_hangs_up(text, spoken):
    root = parse(common.goodbye(text))

    assert verbs(root) == ["Say", "Hangup"]
    assert said(root) == [spoken]


def test_empty_says_nothing():
    assert verbs(parse(common.empty())) == []


def test_ask_gathers_keys_then_goes_on_when_none_is_pressed():
    root = parse(common.ask("Press 1.", ACTION, 7, then=RETRY, num_digits=1))

    assert verbs(root) == ["Gather", "Redirect"]
    gather = root.find("Gather")
    assert (gather.get("action"), gather.get("method"), gather.get("timeout")) == (
        ACTION,
        "POST",
        "7",
    )
    assert gather.get("numDigits") == "1"
    assert said(gather) == ["Press 1."]
    assert (root.find("Redirect").text, root.find("Redirect").get("method")) == (RETRY, "POST")


def test_ask_with_nowhere_to_go_on_says_why_and_hangs_up():
    root = parse(common.ask("Press 1.", ACTION, 7, then=None, give_up="Goodbye."))

    assert verbs(root) == ["Gather", "Say", "Hangup"]
    assert said(root)[-1] == "Goodbye."


def test_ask_with_nothing_to_say_on_giving_up_just_hangs_up():
    root = parse(common.ask("Press 1.", ACTION, 7, then=None))

    assert verbs(root) == ["Gather", "Hangup"]


# Inbound ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("greeting", "spoken"),
    [
        ("candidate", ["Hi Jane, thanks for calling."]),
        ("your-recruiter", ["Connecting you to your recruiter."]),
        ("team", ["Connecting you to our recruiting team."]),
        (None, []),
    ],
)
def test_ringing_a_recruiter_greets_the_caller_by_route(greeting, spoken):
    root = parse(
        inbound.ring_recruiter("+15005550111", "+15005550006", RETRY, ACTION, greeting, "Jane")
    )

    assert said(root) == spoken
    assert verbs(root) == ["Say"] * len(spoken) + ["Dial"]


def test_ringing_a_recruiter_dials_from_the_company_number_with_the_whisper():
    root = parse(inbound.ring_recruiter("+15005550111", "+15005550006", RETRY, ACTION))

    dial = root.find("Dial")
    assert (dial.get("callerId"), dial.get("answerOnBridge"), dial.get("timeout")) == (
        "+15005550006",
        "true",
        "20",
    )
    assert (dial.get("action"), dial.get("method")) == (ACTION, "POST")
    number = dial.find("Number")
    assert (number.text, number.get("url"), number.get("method")) == ("+15005550111", RETRY, "POST")


@pytest.mark.parametrize(
    ("name", "about_offer", "announcement"),
    [
        ("Jane Doe", False, "Call from candidate Jane Doe. Press 1 to accept."),
        (
            "Jane Doe",
            True,
            "Call from candidate Jane Doe, with their answer on your offer. Press 1 to accept.",
        ),
        (None, False, "Call for the recruiting team from an unknown number. Press 1 to accept."),
    ],
)
def test_the_whisper_says_who_is_calling_and_hangs_up_without_a_key(
    name, about_offer, announcement
):
    root = parse(inbound.whisper(name, about_offer, ACTION))

    assert verbs(root) == ["Gather", "Hangup"]
    gather = root.find("Gather")
    assert keys(gather) == ("1", "8", ACTION)
    assert said(gather) == [announcement]


def test_a_bridge_is_an_empty_document_and_a_refusal_a_hangup():
    assert verbs(parse(inbound.bridge())) == []
    assert verbs(parse(inbound.hang_up())) == ["Hangup"]


def test_the_caller_is_thanked_when_the_recruiter_hangs_up():
    root = parse(inbound.thanks_for_calling())

    assert said(root) == ["Thank you for calling. Goodbye."]
    assert verbs(root) == ["Say", "Hangup"]


@pytest.mark.parametrize(
    ("reason", "who", "intro"),
    [
        ("chosen", None, "Thank you."),
        ("nobody-available", "Olive", "Olive is not available right now."),
        ("nobody-available", None, "Our recruiting team is not available right now."),
    ],
)
def test_the_voicemail_intro_says_why(reason, who, intro):
    assert inbound.voicemail_intro(reason, who) == intro


def test_after_hours_says_when_we_are_open_and_when_we_call_back():
    intro = inbound.after_hours(
        "Acme", "Monday to Friday, 9 AM to 6 PM", "America/New_York", "on Monday morning"
    )

    assert intro == (
        "Thank you for calling Acme. Our office is closed now. "
        "We are open Monday to Friday, 9 AM to 6 PM, America/New York time. "
        "We will call you back on Monday morning."
    )


def test_the_voicemail_prompt_records_with_a_status_callback():
    root = parse(inbound.voicemail_prompt("Thank you.", ACTION, RETRY))

    assert verbs(root) == ["Say", "Record", "Say", "Hangup"]
    assert said(root) == [
        "Thank you. Please leave a message after the tone, then press pound or hang up.",
        "I did not hear a message. Goodbye.",
    ]
    record = root.find("Record")
    assert (record.get("action"), record.get("maxLength"), record.get("finishOnKey")) == (
        ACTION,
        "120",
        "#",
    )
    assert (record.get("recordingStatusCallback"), record.get("playBeep")) == (RETRY, "true")


@pytest.mark.parametrize(
    ("promise", "spoken"),
    [
        (None, "We will call you back as soon as we can."),
        ("tomorrow morning", "We will call you back tomorrow morning."),
    ],
)
def test_after_a_message_the_caller_hears_when_we_call_back(promise, spoken):
    root = parse(inbound.voicemail_thanks(promise))

    assert said(root) == [f"Thank you for your message. {spoken} Goodbye."]
    assert verbs(root) == ["Say", "Hangup"]


@pytest.mark.parametrize(
    ("menu", "spoken"),
    [
        (
            inbound.offer_menu("Jane", ACTION),
            "Hi Jane, thanks for calling. To give us your answer on your offer, press 2. "
            "To speak with your recruiter, press 1.",
        ),
        (
            inbound.unknown_caller_menu("Acme", ACTION),
            "Thank you for calling Acme. To speak with a recruiter, press 1. "
            "To leave a message, press 2.",
        ),
    ],
)
def test_a_menu_takes_one_key_and_comes_back_to_itself_without_one(menu, spoken):
    root = parse(menu)

    assert verbs(root) == ["Gather", "Redirect"]
    gather = root.find("Gather")
    assert keys(gather) == ("1", "6", ACTION)
    assert said(gather) == [spoken]
    assert root.find("Redirect").text == ACTION


# Outbound --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "calling"),
    [("Jane Doe", "Calling Jane Doe."), (None, "Calling back the caller who left a voicemail.")],
)
def test_screening_names_who_is_called_and_retries(name, calling):
    root = parse(outbound.screening_prompt(name, ACTION, RETRY))

    assert verbs(root) == ["Gather", "Redirect"]
    gather = root.find("Gather")
    assert keys(gather) == ("1", "8", ACTION)
    assert said(gather) == [f"{calling} Press 1 to connect, or hang up."]
    assert root.find("Redirect").text == RETRY


def test_screening_on_its_last_attempt_goes_on_to_its_action_without_a_key():
    root = parse(outbound.screening_prompt("Jane Doe", ACTION, None))

    assert verbs(root) == ["Gather", "Redirect"]
    assert root.find("Redirect").text == ACTION


def test_no_key_at_the_last_screening_prompt_says_why_and_hangs_up():
    root = parse(outbound.no_key_pressed())

    assert verbs(root) == ["Say", "Hangup"]
    assert said(root) == ["No key was pressed, so the call was not connected. Goodbye."]


def test_connecting_dials_the_candidate_from_the_company_number():
    root = parse(
        outbound.connect_candidate("+15005550201", "+15005550006", ACTION, answered_url=RETRY)
    )

    assert verbs(root) == ["Say", "Dial"]
    assert said(root) == ["Connecting."]
    dial = root.find("Dial")
    assert (dial.get("callerId"), dial.get("timeout"), dial.get("action")) == (
        "+15005550006",
        "25",
        ACTION,
    )
    number = dial.find("Number")
    assert (number.text, number.get("statusCallback"), number.get("statusCallbackEvent")) == (
        "+15005550201",
        RETRY,
        "answered",
    )


def test_connecting_without_an_answered_url_asks_for_no_leg_callback():
    root = parse(
        outbound.connect_candidate("+15005550201", "+15005550006", ACTION, announce="Calling Jane.")
    )

    assert said(root) == ["Calling Jane."]
    assert root.find("Dial/Number").get("statusCallback") is None


def test_connecting_with_a_machine_url_detects_answering_machines_on_the_candidates_leg():
    machine = "https://ivr.example.com/voice/machine"
    root = parse(
        outbound.connect_candidate("+15005550201", "+15005550006", ACTION, machine_url=machine)
    )

    number = root.find("Dial/Number")
    assert (number.get("machineDetection"), number.get("url"), number.get("method")) == (
        "Enable",
        machine,
        "POST",
    )


def test_connecting_without_a_machine_url_detects_nothing():
    root = parse(outbound.connect_candidate("+15005550201", "+15005550006", ACTION))

    assert root.find("Dial/Number").get("machineDetection") is None
    assert root.find("Dial/Number").get("url") is None


@pytest.mark.parametrize(("name", "whose"), [("Jane", "Jane's"), (None, "the caller's")])
def test_reaching_voicemail_tells_the_recruiter_and_rings_it_again(name, whose):
    machine = "https://ivr.example.com/voice/machine?attempt=2"
    root = parse(outbound.voicemail_reached(name, "+15005550201", "+15005550006", ACTION, machine))

    assert verbs(root) == ["Say", "Dial"]
    assert said(root) == [
        f"You reached {whose} voicemail. "
        "Speak after the tone to leave a personal message, or hang up."
    ]
    dial = root.find("Dial")
    assert (dial.get("callerId"), dial.get("action")) == ("+15005550006", ACTION)
    number = dial.find("Number")
    assert (number.text, number.get("url"), number.get("machineDetection")) == (
        "+15005550201",
        machine,
        "Enable",
    )


def test_the_candidates_leg_is_hung_up_before_the_bridge():
    assert verbs(parse(outbound.end_candidate_leg())) == ["Hangup"]


def test_the_outcome_menu_reads_every_code_after_the_intro():
    items = [("1", "interview scheduled"), ("9", "wrong number, do not call")]

    root = parse(outbound.outcome_menu(items, ACTION, RETRY, intro="The call has ended."))

    assert verbs(root) == ["Gather", "Redirect"]
    gather = root.find("Gather")
    assert (gather.get("numDigits"), gather.get("timeout")) == ("1", "10")
    assert said(gather) == [
        "The call has ended. Please key in the outcome of this call. "
        "For interview scheduled, press 1. For wrong number, do not call, press 9."
    ]
    assert root.find("Redirect").text == RETRY


@pytest.mark.parametrize(
    ("status", "name", "intro"),
    [
        ("completed", "Jane", "The call has ended."),
        ("no-answer", "Jane", "Jane did not answer."),
        ("busy", None, "The caller's line was busy."),
        ("failed", "Jane", "The call to Jane could not be connected."),
        ("canceled", "Jane", "The call was cancelled."),
        ("something-new", "Jane", "The call has ended."),
    ],
)
def test_the_dial_ending_says_what_became_of_the_candidates_leg(status, name, intro):
    assert outbound.dial_ending(status, name) == intro


@pytest.mark.parametrize(
    ("name", "intro"),
    [
        ("Jane Doe", "Your call with Jane Doe has ended."),
        (None, "Your call with an unknown caller has ended."),
    ],
)
def test_the_outcome_call_back_says_which_call_ended(name, intro):
    assert outbound.call_ended(name) == intro


@pytest.mark.parametrize(
    ("heard_nothing", "intro"),
    [(True, "I did not hear a key."), (False, "That is not one of the options.")],
)
def test_the_outcome_menu_asked_again_says_why(heard_nothing, intro):
    assert outbound.outcome_retry(heard_nothing) == intro


@pytest.mark.parametrize(
    ("response", "spoken"),
    [
        (outbound.outcome_saved("offer extended"), "Saved: offer extended. Thank you. Goodbye."),
        (
            outbound.outcome_not_recorded(),
            "No outcome was recorded for this call. You can add it from the web page. Goodbye.",
        ),
        (outbound.outcome_already_saved(), "The outcome of this call is already saved. Goodbye."),
        (outbound.no_longer_callable(), "This candidate can no longer be called. Goodbye."),
        (outbound.not_connected(), "The call was not connected. Goodbye."),
    ],
)
def test_the_recruiters_goodbyes(response, spoken):
    root = parse(response)

    assert verbs(root) == ["Say", "Hangup"]
    assert said(root) == [spoken]


# The recruiter line ----------------------------------------------------------------------------


def test_every_note_of_the_recruiter_line_has_its_words():
    assert {said.value for said in Said} == set(dial_in.NOTES)


def test_every_greeting_and_voicemail_reason_has_its_words():
    assert {greeting.value for greeting in Greeting} == set(inbound.GREETINGS)
    assert {reason.value for reason in VoicemailReason} == set(inbound.VOICEMAIL_INTROS)


@pytest.mark.parametrize(
    ("note", "sentence"),
    [
        (Note(Said.NO_CODE), "I did not hear a code."),
        (Note(Said.UNKNOWN_CODE, digits="999"), "No candidate has the code 9 9 9."),
        (Note(Said.NOT_YOURS), "That candidate belongs to another recruiter."),
        (
            Note(Said.CODE_DO_NOT_CALL, name="Dana Block"),
            "Dana Block is marked do not call. Please enter another code.",
        ),
        (Note(Said.CALLING, name="Jane Doe"), "Calling Jane Doe."),
        (Note(Said.CALLBACK_DO_NOT_CALL, name="Dana Block"), "Dana Block is marked do not call."),
        (Note(Said.WITHHELD), "That caller withheld their number."),
        (Note(Said.CALLING_BACK, name="Jane Doe"), "Calling Jane Doe back."),
        (Note(Said.CALLING_BACK), "Calling the caller back."),
        (None, ""),
    ],
)
def test_what_the_recruiter_line_tells_the_recruiter(note, sentence):
    assert dial_in.note(note) == sentence


def test_the_code_prompt_greets_the_recruiter_and_ends_on_pound():
    root = parse(dial_in.code_prompt("Riley", ACTION, RETRY, Note(Said.NO_CODE)))

    assert verbs(root) == ["Gather", "Redirect"]
    gather = root.find("Gather")
    assert (gather.get("finishOnKey"), gather.get("action"), gather.get("numDigits")) == (
        "#",
        ACTION,
        None,
    )
    assert said(gather) == [
        "I did not hear a code. Hi Riley. Enter the candidate's code, then press pound. "
        "For your callbacks, press star."
    ]


def test_the_last_code_prompt_says_goodbye_without_a_key():
    root = parse(dial_in.code_prompt("Riley", ACTION, None))

    assert verbs(root) == ["Gather", "Say", "Hangup"]
    assert said(root)[0].startswith("Hi Riley.")
    assert said(root)[-1] == "Goodbye."


def test_the_recruiter_line_hangs_up_after_its_note():
    assert said(parse(dial_in.hang_up(Note(Said.NOT_YOURS)))) == [
        "That candidate belongs to another recruiter. Goodbye."
    ]
    assert said(parse(dial_in.hang_up())) == ["Goodbye."]


def test_no_callbacks_waiting_goes_back_to_the_code_prompt():
    root = parse(dial_in.callbacks_menu([], ACTION, RETRY))

    assert verbs(root) == ["Say", "Redirect"]
    assert said(root) == ["You have no callbacks waiting."]
    assert root.find("Redirect").text == RETRY


def test_the_callbacks_menu_lists_them_and_plays_the_first_message():
    entries = [
        WaitingCallback(1, "Jane Doe", timedelta(minutes=5), "https://api.example.com/RE1"),
        WaitingCallback(2, None, timedelta(hours=3), None),
    ]

    root = parse(dial_in.callbacks_menu(entries, ACTION, RETRY))

    assert verbs(root) == ["Say", "Say", "Play", "Gather", "Redirect"]
    assert said(root)[:2] == [
        "You have 2 callbacks waiting: Jane Doe, 5 minutes ago; an unknown caller, 3 hours ago.",
        "Here is the message from Jane Doe.",
    ]
    assert root.find("Play").text == "https://api.example.com/RE1"
    gather = root.find("Gather")
    assert (gather.get("numDigits"), gather.get("action")) == ("1", ACTION)
    assert said(gather) == [
        "To call Jane Doe back now, press 1. To enter a candidate code instead, press 2."
    ]
    assert root.find("Redirect").text == RETRY


def test_a_callback_without_a_recording_plays_nothing():
    root = parse(
        dial_in.callbacks_menu([WaitingCallback(3, None, timedelta(0), None)], ACTION, RETRY)
    )

    assert verbs(root) == ["Say", "Gather", "Redirect"]
    assert said(root)[0] == "You have one callback waiting: an unknown caller, just now."


@pytest.mark.parametrize(
    ("waited", "words"),
    [
        (timedelta(seconds=119), "just now"),
        (timedelta(minutes=2), "2 minutes ago"),
        (timedelta(minutes=119), "119 minutes ago"),
        (timedelta(hours=2), "2 hours ago"),
        (timedelta(hours=47, minutes=59), "47 hours ago"),
        (timedelta(days=2), "2 days ago"),
        (timedelta(days=30), "30 days ago"),
    ],
)
def test_how_long_a_callback_has_waited_in_words(waited, words):
    assert dial_in.ago(waited) == words


# Business hours in words -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "opens", "closes", "words"),
    [
        (range(5), time(9), time(18), "Monday to Friday, 9 AM to 6 PM"),
        ([0, 2, 4], time(8, 30), None, "Monday, Wednesday, Friday, 8:30 AM to midnight"),
        ([5, 6], time(0), time(12, 15), "Saturday, Sunday, 12 AM to 12:15 PM"),
    ],
)
def test_business_hours_are_said_as_days_and_times(days, opens, closes, words):
    assert hours.spoken_hours(days, opens, closes) == words


def test_a_timezone_key_is_said_without_underscores():
    assert hours.spoken_zone("America/New_York") == "America/New York"


NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("opening", "promise"),
    [
        (datetime(2026, 11, 23, 14, 0, tzinfo=NEW_YORK), "later today"),
        (datetime(2026, 11, 24, 9, 0, tzinfo=NEW_YORK), "tomorrow morning"),
        (datetime(2026, 11, 24, 13, 0, tzinfo=NEW_YORK), "tomorrow afternoon"),
        (datetime(2026, 11, 30, 9, 0, tzinfo=NEW_YORK), "on Monday morning"),
    ],
)
def test_the_callback_promise_names_the_next_opening(opening, promise):
    monday_morning = datetime(2026, 11, 23, 7, 0, tzinfo=NEW_YORK)

    assert hours.callback_promise(opening, monday_morning) == promise


@pytest.mark.parametrize("bad", ["\x00", "\x0b", "\x0c", "\x1f", "\ufffe", "\uffff"])
def test_characters_xml_forbids_never_reach_twiml(bad):
    response = inbound.whisper(f"Ann{bad}Lee", about_offer=False, action_url=ACTION)

    assert "AnnLee" in common_spoken(parse(response))


def test_tab_and_line_breaks_are_kept():
    assert common.xml_safe("a\tb\nc\rd") == "a\tb\nc\rd"


def common_spoken(root: ET.Element) -> str:
    return " ".join((say.text or "") for say in root.iter("Say"))
