"""POST /api/v1/calls places a one-click call; GET /api/v1/calls/<id> reads one."""

from __future__ import annotations

from flask import g, request

from ivr.api import bp
from ivr.callflow.outbound import CallRefused
from ivr.db import get_session
from ivr.placement import place_outbound_call
from ivr.security import api_auth, api_error
from ivr.serialize import call_json
from models import Call, User


@bp.post("/calls")
@api_auth("recruiter")
def create_call():  # type: ignore[no-untyped-def]
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return api_error(400, 'send a JSON object like {"candidate_id": 12}')
    candidate_id = body.get("candidate_id")
    if isinstance(candidate_id, bool) or not isinstance(candidate_id, int) or candidate_id < 1:
        return api_error(400, "candidate_id must be a positive integer")
    session = get_session()
    try:
        call = place_outbound_call(session, g.api_user, candidate_id)
    except CallRefused as refused:
        return api_error(refused.status, refused.reason)
    return call_json(call, events=True), 201, {"Location": f"/api/v1/calls/{call.id}"}


@bp.get("/calls/<int:call_id>")
@api_auth()
def get_call(call_id: int):  # type: ignore[no-untyped-def]
    call = get_session().get(Call, call_id)
    if call is None or not can_read_call(g.api_user, call):
        return api_error(404, "no such call")
    return call_json(call, events=True)


def can_read_call(user: User, call: Call) -> bool:
    return user.role in ("auditor", "admin") or call.recruiter_id == user.id
