"""Reading the call log: filters, who may see what, keyset pages, streamed CSV and the
record of every auditor's read. Shared by the web pages and the JSON API."""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import request
from sqlalchemy import Select, and_, literal, select, tuple_
from sqlalchemy.orm import Session, aliased, selectinload

from ivr.permissions import visible_calls
from ivr.serialize import iso
from models import AccessRecord, Call, CallEvent, Candidate, OutcomeCode, User
from models.base import MAX_ID
from models.call import STATUS_RANK

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
DIRECTIONS = ("outbound", "inbound")
ORDERS = ("newest", "oldest")


class FilterError(ValueError):
    """A filter the caller sent cannot be used; str() names the field and what is wrong."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _parse_time(field: str, raw: str, *, end: bool) -> datetime:
    """ISO-8601 date or datetime. A bare date covers that whole UTC day; naive times are UTC."""
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            moment = datetime.combine(day, time.min, tzinfo=UTC)
            return moment + timedelta(days=1) if end else moment
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise FilterError(field, f"{raw!r} is not an ISO-8601 date or date-time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _parse_id(field: str, raw: str) -> int:
    if not raw.isdigit() or len(raw) > 10 or not 1 <= int(raw) <= MAX_ID:
        raise FilterError(field, f"{raw!r} is not an id (a whole number from 1 to {MAX_ID})")
    return int(raw)


def _parse_choice(field: str, raw: str, choices: tuple[str, ...]) -> str:
    if raw not in choices:
        raise FilterError(field, f"{raw!r} is not one of {', '.join(choices)}")
    return raw


@dataclass(frozen=True)
class CallFilter:
    """What an auditor asked to see. Every field is optional; empty means "any"."""

    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    recruiter_id: int | None = None
    candidate_id: int | None = None
    direction: str | None = None
    status: str | None = None
    outcome: str | None = None  # an outcome digit, or "none" for calls without one
    has_voicemail: bool | None = None
    order: str = "newest"

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> CallFilter:
        def arg(name: str) -> str:
            return (args.get(name) or "").strip()

        values: dict[str, Any] = {}
        if raw := arg("since"):
            values["since"] = _parse_time("since", raw, end=False)
        if raw := arg("until"):
            values["until"] = _parse_time("until", raw, end=True)
        if raw := arg("recruiter_id"):
            values["recruiter_id"] = _parse_id("recruiter_id", raw)
        if raw := arg("candidate_id"):
            values["candidate_id"] = _parse_id("candidate_id", raw)
        if raw := arg("direction"):
            values["direction"] = _parse_choice("direction", raw, DIRECTIONS)
        if raw := arg("status"):
            values["status"] = _parse_choice("status", raw, tuple(STATUS_RANK))
        if raw := arg("outcome"):
            if raw != "none" and not (len(raw) == 1 and raw.isdigit()):
                raise FilterError("outcome", f"{raw!r} is not an outcome digit (0-9) or 'none'")
            values["outcome"] = raw
        if raw := arg("has_voicemail"):
            values["has_voicemail"] = _parse_choice("has_voicemail", raw, ("true", "false")) == (
                "true"
            )
        if raw := arg("order"):
            values["order"] = _parse_choice("order", raw, ORDERS)
        if "since" in values and "until" in values and values["since"] >= values["until"]:
            raise FilterError("until", "must be later than since")
        return cls(**values)

    def as_args(self) -> dict[str, str]:
        """The filter as query-string arguments: for links, the CSV and the access record."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or (f.name == "order" and value == "newest"):
                continue
            if isinstance(value, datetime):
                out[f.name] = iso(value) or ""
            elif isinstance(value, bool):
                out[f.name] = "true" if value else "false"
            else:
                out[f.name] = str(value)
        return out


def filtered(stmt: Select[Any], user: User, flt: CallFilter) -> Select[Any]:
    conditions = [visible_calls(user)]
    if flt.since is not None:
        conditions.append(Call.created_at >= flt.since)
    if flt.until is not None:
        conditions.append(Call.created_at < flt.until)
    if flt.recruiter_id is not None:
        conditions.append(Call.recruiter_id == flt.recruiter_id)
    if flt.candidate_id is not None:
        conditions.append(Call.candidate_id == flt.candidate_id)
    if flt.direction is not None:
        conditions.append(Call.direction == flt.direction)
    if flt.status is not None:
        conditions.append(Call.status == flt.status)
    if flt.outcome == "none":
        conditions.append(Call.outcome_code_id.is_(None))
    elif flt.outcome is not None:
        digit = select(OutcomeCode.id).where(OutcomeCode.digit == flt.outcome)
        conditions.append(Call.outcome_code_id.in_(digit))
    if flt.has_voicemail is not None:
        conditions.append(Call.is_voicemail.is_(flt.has_voicemail))
    return stmt.where(and_(*conditions))


def _ordered(stmt: Select[Any], order: str) -> Select[Any]:
    if order == "oldest":
        return stmt.order_by(Call.created_at.asc(), Call.id.asc())
    return stmt.order_by(Call.created_at.desc(), Call.id.desc())


# Cursors: an opaque token holding the sort key of the last row served. The next page starts
# strictly after that key, so rows inserted meanwhile never shift a page (no skips, no repeats).


def encode_cursor(call_created_at: datetime, call_id: int, order: str) -> str:
    raw = json.dumps({"t": iso(call_created_at), "id": call_id, "o": order}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, order: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        moment = datetime.fromisoformat(str(data["t"]).replace("Z", "+00:00"))
        call_id = data["id"]
        if data["o"] != order or not isinstance(call_id, int) or moment.tzinfo is None:
            raise ValueError
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise FilterError(
            "cursor", "not a cursor this listing gave out (keep the same filters and order)"
        ) from None
    return moment.astimezone(UTC), call_id


@dataclass(frozen=True)
class Page:
    calls: list[Call]
    next_cursor: str | None


def parse_limit(raw: str | None) -> int:
    if not raw:
        return PAGE_SIZE
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise FilterError("limit", f"must be a whole number from 1 to {MAX_PAGE_SIZE}")
    return int(raw)


def page_of_calls(
    session: Session, user: User, flt: CallFilter, cursor: str | None, limit: int
) -> Page:
    stmt = filtered(select(Call), user, flt)
    if cursor:
        moment, call_id = decode_cursor(cursor, flt.order)
        key = tuple_(Call.created_at, Call.id)
        last = tuple_(literal(moment, Call.created_at.type), literal(call_id, Call.id.type))
        stmt = stmt.where(key < last if flt.order == "newest" else key > last)
    stmt = _ordered(stmt, flt.order).limit(limit + 1)
    stmt = stmt.options(
        selectinload(Call.candidate), selectinload(Call.recruiter), selectinload(Call.outcome)
    )
    calls = list(session.scalars(stmt))
    more = len(calls) > limit
    calls = calls[:limit]
    last = calls[-1] if calls else None
    next_cursor = encode_cursor(last.created_at, last.id, flt.order) if more and last else None
    return Page(calls=calls, next_cursor=next_cursor)


# CSV export -----------------------------------------------------------------------------

CSV_COLUMNS = (
    "call_id",
    "created_at",
    "direction",
    "flow",
    "status",
    "disposition",
    "recruiter_id",
    "recruiter_name",
    "candidate_id",
    "candidate_name",
    "candidate_number",
    "recruiter_number",
    "company_number",
    "call_sid",
    "child_call_sid",
    "answered_at",
    "ended_at",
    "duration_seconds",
    "talk_seconds",
    "outcome_digit",
    "outcome_label",
    "outcome_at",
    "outcome_by_id",
    "has_voicemail",
    "recording_sid",
    "notes",
)
CSV_BATCH = 500


def mask_phone(number: str | None) -> str:
    """+15005550123 -> +*******0123: enough to tell numbers apart, not enough to dial."""
    if not number:
        return ""
    return "+" + "*" * max(len(number) - 5, 0) + number[-4:]


# Free text people typed; everything else is a number, an enum, a SID or an E.164 phone.
FREE_TEXT_COLUMNS = frozenset({"recruiter_name", "candidate_name", "outcome_label", "notes"})


def _cell(value: Any, free_text: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return iso(value) or ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    # A name like "=HYPERLINK(...)" must stay text when the file is opened in a spreadsheet.
    if free_text and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def export_rows(session: Session, user: User, flt: CallFilter, *, mask: bool) -> Iterator[str]:
    """CSV text, a batch of rows at a time. Plain rows (not ORM objects) streamed with
    yield_per, so memory stays flat however many calls match. The query is built now, while
    the user is at hand; the rows are read as the body is sent."""
    return _stream_csv(session, export_statement(user, flt), mask=mask)


def export_statement(user: User, flt: CallFilter) -> Select[Any]:
    recruiter = aliased(User)
    stmt = (
        select(
            Call.id,
            Call.created_at,
            Call.direction,
            Call.flow,
            Call.status,
            Call.disposition,
            Call.recruiter_id,
            recruiter.name,
            Call.candidate_id,
            Candidate.name,
            Call.candidate_number,
            Call.recruiter_number,
            Call.company_number,
            Call.parent_sid,
            Call.child_sid,
            Call.answered_at,
            Call.ended_at,
            Call.duration,
            Call.talk_duration,
            OutcomeCode.digit,
            OutcomeCode.label,
            Call.outcome_at,
            Call.outcome_by_id,
            Call.is_voicemail,
            Call.recording_sid,
        )
        .outerjoin(recruiter, recruiter.id == Call.recruiter_id)
        .outerjoin(Candidate, Candidate.id == Call.candidate_id)
        .outerjoin(OutcomeCode, OutcomeCode.id == Call.outcome_code_id)
    )
    return _ordered(filtered(stmt, user, flt), flt.order).execution_options(yield_per=CSV_BATCH)


def notes_by_call(session: Session, call_ids: list[int]) -> dict[int, str]:
    """The notes on these calls, each call's in the order written, one per line."""
    notes: dict[int, list[str]] = {}
    if call_ids:
        rows = session.execute(
            select(CallEvent.call_id, CallEvent.detail)
            .where(CallEvent.call_id.in_(call_ids), CallEvent.kind == "note.added")
            .order_by(CallEvent.seq)
        )
        for call_id, detail in rows:
            notes.setdefault(call_id, []).append(str((detail or {}).get("text", "")))
    return {call_id: "\n".join(texts) for call_id, texts in notes.items()}


def _stream_csv(session: Session, stmt: Select[Any], *, mask: bool) -> Iterator[str]:
    phone_columns = {i for i, c in enumerate(CSV_COLUMNS) if c.endswith("_number")}
    text_columns = {i for i, c in enumerate(CSV_COLUMNS) if c in FREE_TEXT_COLUMNS}
    masked = phone_columns if mask else set()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue()
    result = session.execute(stmt)
    try:
        for partition in result.partitions():
            buffer.seek(0)
            buffer.truncate()
            # One query per batch for the batch's notes: memory stays flat, no query per row.
            notes = notes_by_call(session, [row[0] for row in partition])
            for row in partition:
                values = (*row, notes.get(row[0]))
                cells = [
                    mask_phone(value) if i in masked else _cell(value, i in text_columns)
                    for i, value in enumerate(values)
                ]
                writer.writerow(cells)
            yield buffer.getvalue()
    finally:
        # Release the read as soon as the last row is out (or the client has gone): an open
        # read blocks every SQLite writer and holds a PostgreSQL connection.
        result.close()
        session.close()


# Access records -------------------------------------------------------------------------


def record_access(
    session: Session,
    user: User,
    action: str,
    target: str = "",
    filters: Mapping[str, str] | None = None,
) -> AccessRecord | None:
    """Every auditor read leaves a trace: who, what, which filter, when, from where. Other
    roles read only what they own, which their own work already logs."""
    if user.role != "auditor":
        return None
    record = AccessRecord(
        user_id=user.id,
        action=action,
        target=target,
        filters=dict(filters or {}),
        ip=(request.remote_addr or "")[:45],
        user_agent=(request.user_agent.string or "")[:200],
    )
    session.add(record)
    session.flush()
    return record
