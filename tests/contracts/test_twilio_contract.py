"""The contract check: REST requests judged against Twilio's published API description."""

from __future__ import annotations

import base64

from werkzeug import Request
from werkzeug.datastructures import MultiDict
from werkzeug.test import EnvironBuilder

from tests.contracts.twilio import TwilioContract, twilio_contract

ACCOUNT = "AC" + "1" * 32
CALLS = f"/2010-04-01/Accounts/{ACCOUNT}/Calls.json"
A_CALL = f"/2010-04-01/Accounts/{ACCOUNT}/Calls/CA{'2' * 32}.json"
A_RECORDING = f"/2010-04-01/Accounts/{ACCOUNT}/Recordings/RE{'3' * 32}"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{ACCOUNT}:token".encode()).decode()}
EVENTS = ["initiated", "ringing", "answered", "completed"]


def rest(
    method: str,
    path: str,
    form: list[tuple[str, str]] | None = None,
    *,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Request:
    """A request as the simulator's REST endpoints receive it: repeated keys stay repeated."""
    builder = EnvironBuilder(
        path=path,
        method=method,
        data=MultiDict(form) if form is not None else None,
        query_string=query,
        headers=AUTH if headers is None else headers,
        base_url="http://127.0.0.1:5050",
    )
    try:
        return builder.get_request()
    finally:
        builder.close()


def a_create(**changes: str | None) -> list[tuple[str, str]]:
    """The gateway's POST Calls.json, as the twilio client encodes it."""
    form = {
        "To": "+15005550101",
        "From": "+15005550006",
        "Url": "http://127.0.0.1:5000/voice/outbound/1/answer",
        "Method": "POST",
        "StatusCallback": "http://127.0.0.1:5000/voice/outbound/1/status",
        "StatusCallbackMethod": "POST",
        "Timeout": "30",
    }
    for key, value in changes.items():
        if value is None:
            form.pop(key, None)
        else:
            form[key] = value
    return [*form.items(), *(("StatusCallbackEvent", event) for event in EVENTS)]


def test_the_gateways_create_call_keeps_the_contract() -> None:
    assert twilio_contract().violations(rest("POST", CALLS, a_create())) == []


def test_repeated_status_callback_event_keys_are_one_array() -> None:
    contract = twilio_contract()
    body = contract.spec["paths"]["/2010-04-01/Accounts/{AccountSid}/Calls.json"]["post"]
    encoding = body["requestBody"]["content"]["application/x-www-form-urlencoded"]["encoding"]

    one = contract.violations(rest("POST", CALLS, a_create()[:-3]))
    four = contract.violations(rest("POST", CALLS, a_create()))

    assert (one, four) == ([], [])
    assert encoding["StatusCallbackEvent"] == {"style": "form", "explode": True}
    assert encoding["RecordingStatusCallbackEvent"] == {"style": "form", "explode": True}


def test_a_create_without_to_breaks_the_contract() -> None:
    problems = twilio_contract().violations(rest("POST", CALLS, a_create(To=None)))

    assert problems == ["CreateCall: Request body validation error: 'To' is a required property"]


def test_a_parameter_of_the_wrong_type_breaks_the_contract() -> None:
    problems = twilio_contract().violations(rest("POST", CALLS, a_create(Timeout="soon")))

    assert len(problems) == 1
    assert problems[0].startswith("CreateCall: ")
    assert "Failed to cast value to integer type: soon" in problems[0]


def test_a_parameter_the_operation_does_not_take_breaks_the_contract() -> None:
    form = a_create()
    form.append(("StatusCallbackEvents", "completed"))  # misspelt: Twilio would ignore it

    problems = twilio_contract().violations(rest("POST", CALLS, form))

    assert problems == [
        "CreateCall: form field 'StatusCallbackEvents' is not one the operation takes"
    ]


def test_an_update_with_a_status_twilio_does_not_know_breaks_the_contract() -> None:
    contract = twilio_contract()

    hang_up = contract.violations(rest("POST", A_CALL, [("Status", "completed")]))
    bogus = contract.violations(rest("POST", A_CALL, [("Status", "hung-up")]))

    assert hang_up == []
    assert bogus == [
        "UpdateCall: Request body validation error: "
        "'hung-up' is not one of ['canceled', 'completed']"
    ]


def test_a_request_without_basic_auth_breaks_the_contract() -> None:
    problems = twilio_contract().violations(rest("POST", CALLS, a_create(), headers={}))

    assert len(problems) == 1
    assert "Security not found" in problems[0]


def test_fetch_list_and_delete_keep_the_contract_and_unknown_filters_do_not() -> None:
    contract = twilio_contract()

    fetched = contract.violations(rest("GET", A_CALL))
    listed = contract.violations(rest("GET", CALLS, query={"ParentCallSid": "CA" + "2" * 32}))
    deleted = contract.violations(rest("DELETE", A_RECORDING + ".json"))
    audio = contract.violations(rest("GET", A_RECORDING + ".wav"))
    unknown = contract.violations(rest("GET", CALLS, query={"Parent": "CA" + "2" * 32}))

    assert (fetched, listed, deleted, audio) == ([], [], [], [])
    assert unknown == ["ListCall: query parameter 'Parent' is not one the operation takes"]


def test_a_path_twilio_does_not_serve_breaks_the_contract() -> None:
    problems = TwilioContract().violations(rest("POST", f"/2010-04-01/Accounts/{ACCOUNT}/Dial"))

    assert problems == ["no operation in Twilio's API description has this method and path"]
