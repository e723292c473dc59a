"""GET /api/v1/owed-calls: the calls a recruiter owes candidates (ivr.callflow.owed)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import g, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ivr import calllog
from ivr.api import bp
from ivr.callflow.outbound import CallRefused
from ivr.callflow.owed import OwedPolicy, may_close_by_hand
from ivr.callnext import start_call_next
from ivr.clock import now
from ivr.config import settings
from ivr.db import get_session
from ivr.keyset import whole_number
from ivr.permissions import can_read_owed_calls
from ivr.security import api_auth, api_error
from ivr.serialize import call_json, iso
from models import OwedCall, Role
from models.base import MAX_ID


def owed_call_json(item: OwedCall, policy: OwedPolicy, at: datetime) -> dict[str, Any]:
    return {
        "id": item.id,
        "candidate_id": item.candidate_id,
        "candidate_name": item.candidate.name if item.candidate else None,
        "recruiter_id": item.recruiter_id,
        "reason": item.reason,
        "opened_at": iso(item.opened_at),
        "due_at": iso(item.due_at),
        "overdue": item.due_at <= at,
        "attempts": item.attempts,
        "last_attempt_at": iso(item.last_attempt_at),
        "callback_task_id": item.callback_task_id,
        "may_close": may_close_by_hand(item, policy),
    }


@bp.get("/owed-calls")
@api_auth(Role.RECRUITER, Role.AUDITOR, Role.ADMIN)
def list_owed_calls() -> ResponseReturnValue:
    """The caller's open owed calls, soonest due first; auditors and admins may name a
    recruiter (or leave it out: everyone's)."""
    user = g.api_user
    raw = request.args.get("recruiter_id", "")
    asked = whole_number(raw, 1, MAX_ID)
    if raw and asked is None:
        return api_error(400, "recruiter_id must be the id of a recruiter", field="recruiter_id")
    recruiter_id = asked if raw else (user.id if user.role == Role.RECRUITER else None)
    if not can_read_owed_calls(user, recruiter_id):
        return api_error(403, "recruiters read their own owed calls only")
    stmt = (
        select(OwedCall)
        .where(OwedCall.closed_at.is_(None))
        .options(selectinload(OwedCall.candidate))
        .order_by(OwedCall.due_at, OwedCall.id)
    )
    if recruiter_id is not None:
        stmt = stmt.where(OwedCall.recruiter_id == recruiter_id)
    filters = {"recruiter_id": str(recruiter_id)} if recruiter_id is not None else {}
    calllog.record_read(user, "api.owed_calls.list", filters=filters)
    policy, at = OwedPolicy.from_settings(settings()), now()
    items = get_session().scalars(stmt).all()
    return {"owed_calls": [owed_call_json(item, policy, at) for item in items]}


@bp.post("/owed-calls/next")
@api_auth(Role.RECRUITER)
def create_call_next() -> ResponseReturnValue:
    """Call next: ring the recruiter for the first owed call that may be placed now; after
    its outcome is keyed, the next one rings, until the queue is done or they pause."""
    try:
        call = start_call_next(get_session(), g.api_user)
    except CallRefused as refused:
        return api_error(refused.status, refused.reason)
    return call_json(call, events=True), 201, {"Location": f"/api/v1/calls/{call.id}"}
