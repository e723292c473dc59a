"""The call log a keyset page at a time, on (created_at, id); and one call at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import literal, select, tuple_
from sqlalchemy.orm import Session, selectinload

from ivr.callflow.callbacks import callback_for
from ivr.calllog.filters import CallFilter, FilterError, filtered, ordered
from ivr.keyset import decode_cursor as decode_key
from ivr.keyset import encode_cursor as encode_key
from ivr.keyset import parse_limit as parse_page_limit
from ivr.permissions import can_read_call
from ivr.serialize import iso
from models import Call, User
from models.base import MAX_ID


def parse_limit(raw: str | None) -> int:
    return parse_page_limit(raw, FilterError)


def encode_cursor(call_created_at: datetime, call_id: int, order: str) -> str:
    return encode_key({"t": iso(call_created_at), "id": call_id, "o": order})


def decode_cursor(token: str, order: str) -> tuple[datetime, int]:
    try:
        data = decode_key(token)
        moment = datetime.fromisoformat(str(data["t"]).replace("Z", "+00:00"))
        call_id = data["id"]
        # A bool is an int to Python; an id outside 0..MAX_ID would reach the database as an
        # error instead of "no more rows".
        if isinstance(call_id, bool) or not isinstance(call_id, int):
            raise ValueError
        if data["o"] != order or not 0 <= call_id <= MAX_ID or moment.tzinfo is None:
            raise ValueError
    except (ValueError, KeyError, TypeError, OverflowError):
        raise FilterError(
            "cursor", "not a cursor this listing gave out (keep the same filters and order)"
        ) from None
    return moment.astimezone(UTC), call_id


@dataclass(frozen=True)
class Page:
    calls: list[Call]
    next_cursor: str | None


def page_of_calls(
    session: Session, user: User, flt: CallFilter, cursor: str | None, limit: int
) -> Page:
    stmt = filtered(select(Call), user, flt)
    if cursor:
        moment, call_id = decode_cursor(cursor, flt.order)
        key = tuple_(Call.created_at, Call.id)
        after = tuple_(literal(moment, Call.created_at.type), literal(call_id, Call.id.type))
        stmt = stmt.where(key < after if flt.order == "newest" else key > after)
    stmt = ordered(stmt, flt.order).limit(limit + 1)
    stmt = stmt.options(
        selectinload(Call.candidate), selectinload(Call.recruiter), selectinload(Call.outcome)
    )
    calls = list(session.scalars(stmt))
    more = len(calls) > limit
    calls = calls[:limit]
    last = calls[-1] if calls else None
    next_cursor = encode_cursor(last.created_at, last.id, flt.order) if more and last else None
    return Page(calls=calls, next_cursor=next_cursor)


def readable_call(
    session: Session, user: User, call_id: int, *, callbacks: bool = False
) -> Call | None:
    """The call, if the user may read it (someone else's is as good as missing); with
    `callbacks`, also a voicemail the user is to call back."""
    call = session.get(Call, call_id)
    if call is None:
        return None
    task = callback_for(session, call) if callbacks else None
    return call if can_read_call(user, call, task) else None
