"""The call log's filter: parsed from query arguments, applied within what the user may read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, select

from ivr.keyset import ListingError
from ivr.permissions import visible_calls
from ivr.serialize import iso
from models import Call, CallStatus, Direction, OutcomeCode, User
from models.base import MAX_ID
from models.enums import values

DIRECTIONS = values(Direction)
STATUSES = values(CallStatus)
ORDERS = ("newest", "oldest")


class FilterError(ListingError):
    """A filter the caller sent cannot be used; str() names the field and what is wrong."""


def _parse_time(field: str, raw: str, *, end: bool) -> datetime:
    """ISO-8601 date or datetime. A bare date covers that whole UTC day; naive times are UTC."""
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            moment = datetime.combine(day, time.min, tzinfo=UTC)
            return moment + timedelta(days=1) if end else moment
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except ValueError:
        raise FilterError(field, f"{raw[:40]!r} is not an ISO-8601 date or date-time") from None
    except OverflowError:  # the day after 9999-12-31, or a time zone past the last day
        raise FilterError(field, f"{raw[:40]!r} is past the last date this log can hold") from None
    return moment


def _parse_id(field: str, raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or not 1 <= int(raw) <= MAX_ID:
        raise FilterError(field, f"{raw[:40]!r} is not an id (a whole number from 1 to {MAX_ID})")
    return int(raw)


def _parse_choice(field: str, raw: str, choices: tuple[str, ...]) -> str:
    if raw not in choices:
        raise FilterError(field, f"{raw[:40]!r} is not one of {', '.join(choices)}")
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
        for name in ("recruiter_id", "candidate_id"):
            if raw := arg(name):
                values[name] = _parse_id(name, raw)
        if raw := arg("direction"):
            values["direction"] = _parse_choice("direction", raw, DIRECTIONS)
        if raw := arg("status"):
            values["status"] = _parse_choice("status", raw, STATUSES)
        if raw := arg("outcome"):
            if raw != "none" and not (len(raw) == 1 and raw in "0123456789"):
                raise FilterError(
                    "outcome", f"{raw[:40]!r} is not an outcome digit (0-9) or 'none'"
                )
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
    """The statement narrowed to the calls the user may read that the filter matches."""
    conditions = [visible_calls(user)]
    if flt.since is not None:
        conditions.append(Call.created_at >= flt.since)
    if flt.until is not None:
        conditions.append(Call.created_at < flt.until)
    for column, value in (
        (Call.recruiter_id, flt.recruiter_id),
        (Call.candidate_id, flt.candidate_id),
        (Call.direction, flt.direction),
        (Call.status, flt.status),
    ):
        if value is not None:
            conditions.append(column == value)
    if flt.outcome == "none":
        conditions.append(Call.outcome_code_id.is_(None))
    elif flt.outcome is not None:
        digit = select(OutcomeCode.id).where(OutcomeCode.digit == flt.outcome)
        conditions.append(Call.outcome_code_id.in_(digit))
    if flt.has_voicemail is not None:
        conditions.append(Call.is_voicemail.is_(flt.has_voicemail))
    return stmt.where(and_(*conditions))


def ordered(stmt: Select[Any], order: str) -> Select[Any]:
    if order == "oldest":
        return stmt.order_by(Call.created_at.asc(), Call.id.asc())
    return stmt.order_by(Call.created_at.desc(), Call.id.desc())
