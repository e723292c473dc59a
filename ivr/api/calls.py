"""The calls resource: place a one-click call, list and export the log, read one call with
its timeline, correct an outcome."""

from __future__ import annotations

from datetime import UTC

from flask import g, request
from flask.typing import ResponseReturnValue

from ivr import calllog, words
from ivr.api import bp
from ivr.callflow import window
from ivr.callflow.corrections import CorrectionRefused, correct_outcome
from ivr.callflow.outbound import CallRefused
from ivr.db import get_session
from ivr.placement import place_outbound_call
from ivr.security import api_auth, api_error, json_object
from ivr.serialize import call_json, event_json, iso
from models import Role
from models.base import MAX_ID

READERS = (Role.RECRUITER, Role.AUDITOR)
UNCONFIRMED = words.CHECKING_PLACEMENT


@bp.post("/calls")
@api_auth(Role.RECRUITER)
def create_call() -> ResponseReturnValue:
    body = json_object('{"candidate_id": 12}')
    # Outside the candidate's calling window a call needs a reason: {"override_reason": "..."}.
    candidate_id = body.get("candidate_id")
    if isinstance(candidate_id, bool) or not isinstance(candidate_id, int) or candidate_id < 1:
        return api_error(400, "candidate_id must be a positive integer", field="candidate_id")
    if candidate_id > MAX_ID:
        return api_error(404, "no such candidate")
    try:
        override = window.parse_override(body.get("override_reason"))
    except ValueError as bad:
        return api_error(400, str(bad), field="override_reason")
    session = get_session()
    try:
        call = place_outbound_call(session, g.api_user, candidate_id, override=override)
    except window.OutsideWindow as outside:
        return api_error(
            outside.status, outside.reason, opens_at=iso(outside.opens_at.astimezone(UTC))
        )
    except CallRefused as refused:
        return api_error(refused.status, refused.reason)
    location = {"Location": f"/api/v1/calls/{call.id}"}
    if call.unconfirmed:
        # Accepted, not known placed: the phone network did not answer in time.
        body = call_json(call, events=True)
        body["message"] = UNCONFIRMED
        return body, 202, location
    return call_json(call, events=True), 201, location


@bp.get("/calls")
@api_auth(*READERS)
def list_calls() -> ResponseReturnValue:
    try:
        flt = calllog.CallFilter.from_args(request.args)
        limit = calllog.parse_limit(request.args.get("limit"))
        page = calllog.page_of_calls(
            get_session(), g.api_user, flt, request.args.get("cursor"), limit
        )
    except calllog.FilterError as bad:
        return api_error(400, str(bad), field=bad.field)
    calllog.record_read(g.api_user, "api.calls.list", filters=flt.as_args())
    return {
        "calls": [call_json(call) for call in page.calls],
        "next_cursor": page.next_cursor,
        "filters": flt.as_args(),
    }


@bp.get("/calls.csv")
@api_auth(*READERS)
def export_calls() -> ResponseReturnValue:
    return calllog.csv_response(g.api_user, request.args, "api.calls.export")


@bp.get("/calls/<id:call_id>")
@api_auth(*READERS)
def get_call(call_id: int) -> ResponseReturnValue:
    call = calllog.readable_call(get_session(), g.api_user, call_id)
    if call is None:
        return api_error(404, "no such call")
    calllog.record_read(g.api_user, "api.calls.read", target=f"call:{call.id}")
    return call_json(call, events=True)


@bp.post("/calls/<id:call_id>/outcome-corrections")
@api_auth(Role.RECRUITER)
def create_outcome_correction(call_id: int) -> ResponseReturnValue:
    body = json_object('{"digit": "3", "reason": "..."}')
    session = get_session()
    call = calllog.readable_call(session, g.api_user, call_id)
    if call is None:
        return api_error(404, "no such call")
    try:
        event = correct_outcome(session, call, g.api_user, body.get("digit"), body.get("reason"))
    except CorrectionRefused as refused:
        return api_error(refused.status, refused.reason)
    session.commit()
    return {"correction": event_json(event), "call": call_json(call)}, 201
