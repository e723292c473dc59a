"""The call log as CSV: plain rows streamed a batch at a time, as a download."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from flask import Response, current_app
from flask.typing import ResponseReturnValue
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from ivr.calllog.filters import CallFilter, FilterError, filtered, ordered
from ivr.calllog.reads import record_read
from ivr.config import settings
from ivr.serialize import iso
from models import Call, CallEvent, Candidate, OutcomeCode, User
from models.phone import mask_phone

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
# Free text people typed; everything else is a number, an enum, a SID or an E.164 phone.
FREE_TEXT_COLUMNS = frozenset({"recruiter_name", "candidate_name", "outcome_label", "notes"})
# A cell starting with one of these may be read as a formula by a spreadsheet: the formula
# signs, their full-width forms (some spreadsheets fold them), and blank or control
# characters a spreadsheet may skip before the formula sign.
FORMULA_STARTS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20 \t\r\n")


def csv_response(user: User, args: Mapping[str, str], action: str) -> ResponseReturnValue:
    """The calls the query arguments filter, as a CSV download: the export is recorded first
    (committed), then the rows are streamed as they are read. A filter that cannot be used
    is a 400 naming it."""
    try:
        flt = CallFilter.from_args(args)
    except FilterError as bad:
        return {"error": str(bad), "field": bad.field}, 400
    record_read(user, action, filters=flt.as_args())
    mask = settings().mask_phone_numbers_in_exports
    # The stream has a session of its own, closed when the last row is out: the request's
    # session is torn down with the request, which may come before the body is sent.
    # It connects only once the first row is asked for (only user.id and user.role are read).
    stream_session = current_app.extensions["db_sessionmaker"]()
    rows = export_rows(stream_session, user, flt, mask=mask)
    return Response(
        rows,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="calls.csv"'},
    )


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
    return ordered(filtered(stmt, user, flt), flt.order).execution_options(yield_per=CSV_BATCH)


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


def _cell(value: Any, free_text: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return iso(value) or ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    # A name like "=HYPERLINK(...)" must stay text when the file is opened in a spreadsheet.
    if free_text and text[:1] in FORMULA_STARTS:
        return "'" + text
    return text


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
