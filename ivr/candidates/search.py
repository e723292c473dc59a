"""Finding candidates: search by name, phone (any format), email or code; filters; sorts;
keyset pages on an opaque cursor, so a page never shifts while rows are added."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select, tuple_
from sqlalchemy.orm import Session, selectinload

from ivr.candidates.records import Rules
from ivr.keyset import ListingError, whole_number
from ivr.keyset import decode_cursor as decode_key
from ivr.keyset import encode_cursor as encode_key
from ivr.keyset import parse_limit as parse_page_limit
from ivr.permissions import visible_candidates
from models import Candidate, User
from models.base import MAX_ID
from models.enums import STAGES
from models.phone import InvalidPhoneNumber, normalize_phone

SORTS = ("name", "stage", "last_contact")
SCOPES = ("mine", "team")
MAX_QUERY = 200
MAX_DAYS = 3650
# Never-contacted candidates sort as if last contacted at the epoch: first, oldest-first.
NEVER = datetime(1970, 1, 1, tzinfo=UTC)


class SearchError(ListingError):
    """A filter the caller sent cannot be used; str() names the field and what is wrong."""


@dataclass(frozen=True)
class CandidateFilter:
    q: str | None = None
    stage: str | None = None
    owner_id: int | None = None
    do_not_call: bool | None = None
    not_called_days: int | None = None
    scope: str = "mine"
    sort: str = "name"

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> CandidateFilter:
        def arg(name: str) -> str:
            return (args.get(name) or "").strip()

        values: dict[str, Any] = {}
        if raw := arg("q"):
            if len(raw) > MAX_QUERY:
                raise SearchError("q", f"keep a search under {MAX_QUERY} characters")
            if _has_control_characters(raw):
                raise SearchError("q", "must not contain control characters")
            values["q"] = raw
        if raw := arg("stage"):
            if raw not in STAGES:
                raise SearchError("stage", f"{raw!r} is not one of {', '.join(STAGES)}")
            values["stage"] = raw
        if raw := arg("owner_id"):
            if (owner_id := whole_number(raw, 1, MAX_ID)) is None:
                raise SearchError("owner_id", f"{raw[:40]!r} is not a user id")
            values["owner_id"] = owner_id
        if raw := arg("do_not_call"):
            if raw not in ("true", "false"):
                raise SearchError("do_not_call", "must be true or false")
            values["do_not_call"] = raw == "true"
        if raw := arg("not_called_days"):
            if (days := whole_number(raw, 1, MAX_DAYS)) is None:
                raise SearchError("not_called_days", f"must be a whole number from 1 to {MAX_DAYS}")
            values["not_called_days"] = days
        if raw := arg("scope"):
            if raw not in SCOPES:
                raise SearchError("scope", f"must be one of {', '.join(SCOPES)}")
            values["scope"] = raw
        if raw := arg("sort"):
            if raw not in SORTS:
                raise SearchError("sort", f"must be one of {', '.join(SORTS)}")
            values["sort"] = raw
        return cls(**values)

    def as_args(self) -> dict[str, str]:
        out: dict[str, str] = {}
        defaults = CandidateFilter()
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or value == getattr(defaults, f.name):
                continue
            out[f.name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
        return out


def _has_control_characters(text: str) -> bool:
    """NUL and friends: no name holds them, and PostgreSQL refuses NUL in any text."""
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def search_clause(q: str, rules: Rules) -> ColumnElement[bool]:
    """Name or email containing q (any case), the code, or the phone number in any format:
    "(415) 555-0133", "+1 415 555 0133" and "5550133" all find +14155550133."""
    needle = q.lower()
    clauses: list[ColumnElement[bool]] = [
        func.lower(Candidate.name).contains(needle, autoescape=True),
        func.lower(Candidate.email).contains(needle, autoescape=True),
    ]
    digits = re.sub(r"\D", "", q)
    if digits and len(digits) == len(re.sub(r"[\s()+.\-]", "", q)):
        # Only digits and phone punctuation: a code, or (part of) a phone number.
        if len(digits) == 6:
            clauses.append(Candidate.code == digits)
        try:
            clauses.append(Candidate.phone == normalize_phone(q, rules.region))
        except InvalidPhoneNumber:
            pass
        if len(digits) >= 4:
            clauses.append(Candidate.phone.contains(digits, autoescape=True))
    return or_(*clauses)


STAGE_RANK = case({stage: rank for rank, stage in enumerate(STAGES)}, value=Candidate.stage)


def _sort_key(sort: str) -> Any:
    if sort == "stage":
        return STAGE_RANK
    if sort == "last_contact":
        return func.coalesce(
            Candidate.last_contact_at, literal(NEVER, Candidate.last_contact_at.type)
        )
    return func.lower(Candidate.name)


def _key_value(candidate: Candidate, sort: str) -> Any:
    if sort == "stage":
        return STAGES.index(candidate.stage)
    if sort == "last_contact":
        return (candidate.last_contact_at or NEVER).isoformat()
    return candidate.name.lower()


def encode_cursor(candidate: Candidate, flt: CandidateFilter) -> str:
    return encode_key({"k": _key_value(candidate, flt.sort), "id": candidate.id, "s": flt.sort})


def decode_cursor(token: str, flt: CandidateFilter) -> tuple[Any, int]:
    try:
        if len(token) > 1000:
            raise ValueError
        data = decode_key(token)
        key, candidate_id = data["k"], data["id"]
        if data["s"] != flt.sort or not isinstance(candidate_id, int):
            raise ValueError
        if not 0 <= candidate_id <= MAX_ID:
            raise ValueError
        if flt.sort == "stage" and not (isinstance(key, int) and 0 <= key < len(STAGES)):
            raise ValueError
        if flt.sort == "name" and not (isinstance(key, str) and not _has_control_characters(key)):
            raise ValueError
        if flt.sort == "last_contact":
            key = datetime.fromisoformat(str(key))
            if key.tzinfo is None:
                raise ValueError
    except (ValueError, KeyError, TypeError, OverflowError):
        raise SearchError("cursor", "not a cursor this listing gave out") from None
    return key, candidate_id


@dataclass(frozen=True)
class Page:
    candidates: list[Candidate]
    next_cursor: str | None


def parse_limit(raw: str | None) -> int:
    return parse_page_limit(raw, SearchError)


def filtered(stmt: Any, user: User, flt: CandidateFilter, rules: Rules, now: datetime) -> Any:
    conditions: list[Any] = [visible_candidates(user, team=flt.scope == "team")]
    if flt.q:
        conditions.append(search_clause(flt.q, rules))
    if flt.stage is not None:
        conditions.append(Candidate.stage == flt.stage)
    if flt.owner_id is not None:
        conditions.append(Candidate.owner_id == flt.owner_id)
    if flt.do_not_call is not None:
        conditions.append(Candidate.do_not_call.is_(flt.do_not_call))
    if flt.not_called_days is not None:
        cutoff = now - timedelta(days=flt.not_called_days)
        conditions.append(
            or_(Candidate.last_contact_at.is_(None), Candidate.last_contact_at < cutoff)
        )
    return stmt.where(and_(*conditions))


def page_of_candidates(
    session: Session,
    user: User,
    flt: CandidateFilter,
    cursor: str | None,
    limit: int,
    rules: Rules,
    now: datetime,
) -> Page:
    key = _sort_key(flt.sort)
    stmt = filtered(select(Candidate), user, flt, rules, now)
    if cursor:
        value, candidate_id = decode_cursor(cursor, flt)
        typed = (
            literal(value, Candidate.last_contact_at.type)
            if flt.sort == "last_contact"
            else literal(value)
        )
        stmt = stmt.where(tuple_(key, Candidate.id) > tuple_(typed, literal(candidate_id)))
    stmt = stmt.order_by(key, Candidate.id).limit(limit + 1).options(selectinload(Candidate.owner))
    rows = list(session.scalars(stmt))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1], flt) if more and rows else None
    return Page(candidates=rows, next_cursor=next_cursor)
