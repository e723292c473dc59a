"""GET /api/v1/access-records: the record of who read the call log, for admins."""

from __future__ import annotations

from flask import request
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ivr.api import bp
from ivr.db import get_session
from ivr.keyset import MAX_PAGE_SIZE, PAGE_SIZE, whole_number
from ivr.security import api_auth, api_error
from ivr.serialize import iso
from models import AccessRecord, Role
from models.base import MAX_ID

MAX_LIMIT = MAX_PAGE_SIZE


@bp.get("/access-records")
@api_auth(Role.ADMIN)
def list_access_records() -> ResponseReturnValue:
    before, limit = request.args.get("before", ""), request.args.get("limit", str(PAGE_SIZE))
    if before and whole_number(before, 1, MAX_ID) is None:
        return api_error(400, "before must be the id of an access record", field="before")
    if whole_number(limit, 1, MAX_LIMIT) is None:
        return api_error(400, f"limit must be a whole number from 1 to {MAX_LIMIT}", field="limit")
    stmt = select(AccessRecord).options(selectinload(AccessRecord.user))
    if before:
        stmt = stmt.where(AccessRecord.id < int(before))
    rows = get_session().scalars(stmt.order_by(AccessRecord.id.desc()).limit(int(limit))).all()
    return {
        "access_records": [
            {
                "id": r.id,
                "seq": r.seq,
                "at": iso(r.created_at),
                "user_id": r.user_id,
                "user_name": r.user.name,
                "action": r.action,
                "target": r.target,
                "filters": r.filters,
                "ip": r.ip,
                "hash": r.hash,
            }
            for r in rows
        ],
        "next_before": rows[-1].id if len(rows) == int(limit) else None,
    }
