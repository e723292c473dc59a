"""Creating and changing candidates: every surface (page, API, import, ATS upsert) goes
through here, so the rules and the chained events are the same wherever a change comes from.

Stage, owner and do-not-call changes are chained events with who, from, to and why; other
detail changes are chained as the names of the fields that changed (their values are
personal data and stay on the candidate row)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import phonenumbers
from phonenumbers import timezone as phone_timezones
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr.callflow.events import record_change
from ivr.config import Settings
from ivr.permissions import (
    can_create_candidates,
    can_edit_candidate,
    can_note_call,
    can_note_candidate,
    may_own_candidates,
)
from models import Call, CallEvent, Candidate, User
from models.base import MAX_ID
from models.candidate import (
    EMAIL_MAX,
    EXTERNAL_ID_MAX,
    NAME_MAX,
    REASON_MAX,
    SOURCE_MAX,
    STAGES,
    is_timezone,
    random_code,
)
from models.phone import InvalidPhoneNumber, normalize_phone

FIELDS = (
    "name",
    "phone",
    "email",
    "owner_id",
    "stage",
    "timezone",
    "external_id",
    "source",
    "do_not_call",
    "do_not_call_reason",
    "reason",
)
# Plain details: a change is chained by field name only.
DETAIL_FIELDS = ("name", "phone", "email", "timezone", "external_id", "source")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NOTE_MAX = 2000


@dataclass(frozen=True)
class Rules:
    """What the team's settings say about candidates' numbers and times."""

    region: str = "US"
    default_timezone: str = "UTC"

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        return cls(region=settings.default_phone_region, default_timezone=settings.timezone)


class CandidateError(Exception):
    """A change that cannot be made; `field` names the input at fault (None: the request)."""

    def __init__(
        self, field: str | None, reason: str, status: int = 400, existing_id: int | None = None
    ) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field = field
        self.reason = reason
        self.status = status
        self.existing_id = existing_id


# Parsing ---------------------------------------------------------------------------------


def parse_fields(
    data: Mapping[str, Any], rules: Rules, *, allowed: Iterable[str] = FIELDS
) -> dict[str, Any]:
    """Type-check and normalise the fields present in `data`; the first bad one is refused
    with a CandidateError naming it. Empty optional text means "none"."""
    allowed = tuple(allowed)
    unknown = sorted(str(key) for key in data if key not in allowed)
    if unknown:
        raise CandidateError(unknown[0], f"is not a candidate field (fields: {', '.join(allowed)})")
    clean: dict[str, Any] = {}
    for key, value in data.items():
        clean[key] = _PARSERS[key](key, value, rules)
    return clean


def _text(field: str, value: Any, limit: int, *, required: bool) -> str | None:
    if value is None:
        if required:
            raise CandidateError(field, "is required")
        return None
    if not isinstance(value, str):
        raise CandidateError(field, "must be text")
    text = value.strip()
    if not text:
        if required:
            raise CandidateError(field, "is required")
        return None
    if len(text) > limit:
        raise CandidateError(field, f"must be at most {limit} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") for ch in text):
        raise CandidateError(field, "must not contain control characters")
    return text


def _name(field: str, value: Any, rules: Rules) -> str:
    return " ".join(str(_text(field, value, NAME_MAX, required=True)).split())


def _phone(field: str, value: Any, rules: Rules) -> str:
    if not isinstance(value, str):
        raise CandidateError(field, "must be text, like (415) 555-0133 or +44 20 7946 0958")
    try:
        return normalize_phone(value[:64], rules.region)
    except InvalidPhoneNumber as exc:
        raise CandidateError(field, str(exc)) from None


def _email(field: str, value: Any, rules: Rules) -> str | None:
    text = _text(field, value, EMAIL_MAX, required=False)
    if text is None:
        return None
    if not EMAIL.match(text):
        raise CandidateError(field, f"{text!r} is not an email address")
    return text.lower()


def _owner(field: str, value: Any, rules: Rules) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 10:
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise CandidateError(field, "must be the id of a recruiter")
    return value


def _stage(field: str, value: Any, rules: Rules) -> str:
    if value not in STAGES:
        raise CandidateError(field, f"must be one of {', '.join(STAGES)}")
    return str(value)


def _timezone(field: str, value: Any, rules: Rules) -> str | None:
    text = _text(field, value, 64, required=False)
    if text is None:
        return None
    if not is_timezone(text):
        raise CandidateError(field, f"{text!r} is not a known IANA timezone, like Europe/London")
    return text


def _key(limit: int) -> Any:
    def parse(field: str, value: Any, rules: Rules) -> str | None:
        return _text(field, value, limit, required=False)

    return parse


def _flag(field: str, value: Any, rules: Rules) -> bool:
    if not isinstance(value, bool):
        raise CandidateError(field, "must be true or false")
    return value


def _reason(field: str, value: Any, rules: Rules) -> str | None:
    return _text(field, value, REASON_MAX, required=False)


_PARSERS = {
    "name": _name,
    "phone": _phone,
    "email": _email,
    "owner_id": _owner,
    "stage": _stage,
    "timezone": _timezone,
    "external_id": _key(EXTERNAL_ID_MAX),
    "source": _key(SOURCE_MAX),
    "do_not_call": _flag,
    "do_not_call_reason": _reason,
    "reason": _reason,
}


def timezone_for(phone: str, rules: Rules) -> str:
    """The phone number's own zone when it has exactly one (London, Sydney, a US area code),
    else the team's: a country spread over many zones says nothing about this person."""
    zones = phone_timezones.time_zones_for_number(phonenumbers.parse(phone, None))
    if len(zones) == 1 and is_timezone(zones[0]):
        return zones[0]
    return rules.default_timezone


# Lookups ---------------------------------------------------------------------------------


def by_phone(session: Session, phone: str) -> Candidate | None:
    return session.scalar(select(Candidate).where(Candidate.phone == phone))


def by_external_id(session: Session, source: str, external_id: str) -> Candidate | None:
    return session.scalar(
        select(Candidate).where(Candidate.source == source, Candidate.external_id == external_id)
    )


def _owner_user(session: Session, owner_id: int) -> User:
    owner = session.get(User, owner_id)
    if not may_own_candidates(owner):
        raise CandidateError("owner_id", "must be the id of an active recruiter")
    assert owner is not None
    return owner


# Creating --------------------------------------------------------------------------------


def create_candidate(
    session: Session, actor: User, fields: Mapping[str, Any], rules: Rules, *, via: str
) -> Candidate:
    """A new candidate from parsed fields. A recruiter's candidate is theirs unless another
    recruiter is named; an admin's is unowned unless one is named."""
    if not can_create_candidates(actor):
        raise CandidateError(None, "only recruiters and admins add candidates", 403)
    for required in ("name", "phone"):
        if fields.get(required) is None:
            raise CandidateError(required, "is required")
    external_id, source = fields.get("external_id"), fields.get("source")
    if (external_id is None) != (source is None):
        missing = "source" if source is None else "external_id"
        raise CandidateError(missing, "external_id and source go together (an ATS's key)")
    owner_id = fields.get("owner_id")
    owner = _owner_user(session, owner_id) if owner_id is not None else None
    if owner is None and actor.role == "recruiter":
        owner = actor
    phone = fields["phone"]
    _refuse_taken_phone(session, phone, None)
    if external_id is not None:
        _refuse_taken_key(session, source, external_id, None)
    do_not_call = bool(fields.get("do_not_call", False))
    dnc_reason = fields.get("do_not_call_reason") or fields.get("reason")
    if do_not_call and not dnc_reason:
        raise CandidateError("do_not_call_reason", "say why this person must not be called")
    candidate = Candidate(
        name=fields["name"],
        phone=phone,
        email=fields.get("email"),
        owner_id=owner.id if owner else None,
        stage=fields.get("stage") or "applied",
        timezone=fields.get("timezone") or timezone_for(phone, rules),
        external_id=external_id,
        source=source,
        do_not_call=do_not_call,
        do_not_call_reason=dnc_reason if do_not_call else None,
        code=random_code(),
    )
    _insert(session, candidate)
    record_change(
        session,
        "candidate.created",
        actor=actor,
        candidate=candidate,
        detail={
            "via": via,
            "stage": candidate.stage,
            "owner_id": candidate.owner_id,
            "do_not_call": candidate.do_not_call,
        },
    )
    return candidate


def _insert(session: Session, candidate: Candidate) -> None:
    """Add and flush; a random code that collides is drawn again, and a phone or ATS key
    taken by a concurrent writer becomes the same 409 as one taken earlier."""
    for _ in range(10):
        try:
            with session.begin_nested():
                session.add(candidate)
                session.flush()
            return
        except IntegrityError:
            _refuse_taken_phone(session, candidate.phone, None)
            if candidate.external_id is not None and candidate.source is not None:
                _refuse_taken_key(session, candidate.source, candidate.external_id, None)
            candidate.code = random_code()
    raise CandidateError(None, "could not find a free dial-in code; try again", 503)


def _refuse_taken_phone(session: Session, phone: str, own_id: int | None) -> None:
    existing = by_phone(session, phone)
    if existing is not None and existing.id != own_id:
        raise CandidateError(
            "phone", "another candidate has this phone number", 409, existing_id=existing.id
        )


def _refuse_taken_key(session: Session, source: str, external_id: str, own_id: int | None) -> None:
    existing = by_external_id(session, source, external_id)
    if existing is not None and existing.id != own_id:
        raise CandidateError(
            "external_id",
            f"another candidate has this {source} id",
            409,
            existing_id=existing.id,
        )


# Changing --------------------------------------------------------------------------------


def update_candidate(
    session: Session,
    actor: User,
    candidate: Candidate,
    fields: Mapping[str, Any],
    rules: Rules,
    *,
    via: str,
) -> list[CallEvent]:
    """Apply parsed fields; only real changes write events, so sending the same body twice
    changes nothing the second time. Returns the events written."""
    if not can_edit_candidate(actor, candidate):
        raise CandidateError(None, "only the candidate's owner or an admin may change it", 403)
    reason = fields.get("reason")
    events: list[CallEvent] = []
    changed: list[str] = []

    if "name" in fields and fields["name"] is None:
        raise CandidateError("name", "is required")
    if "phone" in fields and fields["phone"] != candidate.phone:
        if fields["phone"] is None:
            raise CandidateError("phone", "is required")
        _refuse_taken_phone(session, fields["phone"], candidate.id)
        if "timezone" not in fields and candidate.timezone == timezone_for(candidate.phone, rules):
            # The zone came from the old number: let it follow the new one.
            new_zone = timezone_for(fields["phone"], rules)
            if new_zone != candidate.timezone:
                candidate.timezone = new_zone
                changed.append("timezone")
    source = fields.get("source", candidate.source)
    external_id = fields.get("external_id", candidate.external_id)
    if (source is None) != (external_id is None):
        missing = "source" if source is None else "external_id"
        raise CandidateError(missing, "external_id and source go together (an ATS's key)")
    if external_id is not None and (source, external_id) != (
        candidate.source,
        candidate.external_id,
    ):
        _refuse_taken_key(session, source, external_id, candidate.id)

    for name in DETAIL_FIELDS:
        if name in fields and fields[name] != getattr(candidate, name):
            if name == "timezone" and fields[name] is None:
                continue  # "no timezone" keeps the one it has
            setattr(candidate, name, fields[name])
            changed.append(name)
    if changed:
        events.append(
            record_change(
                session,
                "candidate.details_changed",
                actor=actor,
                candidate=candidate,
                detail={"fields": sorted(set(changed)), "via": via},
            )
        )

    if "stage" in fields and fields["stage"] != candidate.stage:
        events.append(change_stage(session, actor, candidate, fields["stage"], reason, via=via))
    if "owner_id" in fields and fields["owner_id"] != candidate.owner_id:
        new_owner = _owner_user(session, fields["owner_id"]) if fields["owner_id"] else None
        events.append(change_owner(session, actor, candidate, new_owner, reason, via=via))
    if "do_not_call" in fields and fields["do_not_call"] != candidate.do_not_call:
        # Marking: the reason given for do-not-call itself comes first (as on creation);
        # clearing: the change's reason, since the old do-not-call reason no longer holds.
        marking = fields["do_not_call"]
        why = (fields.get("do_not_call_reason") if marking else None) or reason
        why = why or fields.get("do_not_call_reason")
        events.append(
            change_do_not_call(session, actor, candidate, fields["do_not_call"], why, via=via)
        )
    elif (
        candidate.do_not_call
        and fields.get("do_not_call_reason")
        and fields["do_not_call_reason"] != candidate.do_not_call_reason
    ):
        candidate.do_not_call_reason = fields["do_not_call_reason"]
        events.append(
            record_change(
                session,
                "candidate.details_changed",
                actor=actor,
                candidate=candidate,
                detail={"fields": ["do_not_call_reason"], "via": via},
            )
        )
    if events:
        session.flush()
    return events


def change_stage(
    session: Session,
    actor: User | None,
    candidate: Candidate,
    stage: str,
    reason: str | None,
    *,
    via: str,
) -> CallEvent:
    detail: dict[str, Any] = {"from": candidate.stage, "to": stage, "via": via}
    if reason:
        detail["reason"] = reason
    candidate.stage = stage
    return record_change(
        session, "candidate.stage_changed", actor=actor, candidate=candidate, detail=detail
    )


def change_owner(
    session: Session,
    actor: User,
    candidate: Candidate,
    owner: User | None,
    reason: str | None,
    *,
    via: str,
) -> CallEvent:
    previous = candidate.owner
    detail: dict[str, Any] = {
        "from": previous.id if previous else None,
        "from_name": previous.name if previous else None,
        "to": owner.id if owner else None,
        "to_name": owner.name if owner else None,
        "via": via,
    }
    if reason:
        detail["reason"] = reason
    candidate.owner_id = owner.id if owner else None
    candidate.owner = owner
    return record_change(
        session, "candidate.owner_changed", actor=actor, candidate=candidate, detail=detail
    )


def change_do_not_call(
    session: Session,
    actor: User,
    candidate: Candidate,
    do_not_call: bool,
    reason: str | None,
    *,
    via: str,
) -> CallEvent:
    """Setting or clearing do-not-call always carries a written reason."""
    if not reason:
        field = "reason" if not do_not_call else "do_not_call_reason"
        what = "clearing do-not-call" if not do_not_call else "marking do-not-call"
        raise CandidateError(field, f"{what} needs a written reason")
    candidate.do_not_call = do_not_call
    candidate.do_not_call_reason = reason if do_not_call else None
    return record_change(
        session,
        "candidate.do_not_call" if do_not_call else "candidate.do_not_call_cleared",
        actor=actor,
        candidate=candidate,
        detail={"reason": reason, "via": via},
    )


def reassign(
    session: Session,
    actor: User,
    candidates: Iterable[Candidate],
    owner: User | None,
    reason: str | None,
    *,
    via: str,
) -> list[Candidate]:
    """Hand candidates to another recruiter; all or none (each must be the actor's to give)."""
    if not may_own_candidates(owner):
        raise CandidateError("owner_id", "must be the id of an active recruiter")
    assert owner is not None
    chosen = list(candidates)
    for candidate in chosen:
        if not can_edit_candidate(actor, candidate):
            raise CandidateError(
                "candidate_ids", f"candidate {candidate.id} is not yours to reassign", 403
            )
    moved = [c for c in chosen if c.owner_id != owner.id]
    for candidate in moved:
        change_owner(session, actor, candidate, owner, reason, via=via)
    return moved


# Upsert by an ATS's key -----------------------------------------------------------------


def find_match(
    session: Session, source: str | None, external_id: str | None, phone: str | None
) -> tuple[Candidate | None, str | None]:
    """The existing candidate a record describes: by its ATS key, then by phone. A phone
    match that carries a different key of the same ATS is someone else (None, "conflict")."""
    if source and external_id:
        found = by_external_id(session, source, external_id)
        if found is not None:
            return found, "external_id"
    if phone:
        found = by_phone(session, phone)
        if found is not None:
            if source and found.source == source and found.external_id not in (None, external_id):
                return found, "conflict"
            return found, "phone"
    return None, None


def upsert(
    session: Session,
    actor: User,
    source: str,
    external_id: str,
    fields: Mapping[str, Any],
    rules: Rules,
    *,
    via: str,
) -> tuple[Candidate, bool]:
    """Create or update the candidate an ATS knows by (source, external_id). Idempotent:
    the same record twice writes nothing the second time. Returns (candidate, created)."""
    record = {**fields, "source": source, "external_id": external_id}
    found, matched_on = find_match(session, source, external_id, fields.get("phone"))
    if matched_on == "conflict":
        assert found is not None
        raise CandidateError(
            "phone",
            f"this phone belongs to a candidate with another {source} id",
            409,
            existing_id=found.id,
        )
    if found is None:
        return create_candidate(session, actor, record, rules, via=via), True
    update_candidate(session, actor, found, record, rules, via=via)
    return found, False


# Notes -----------------------------------------------------------------------------------


def parse_note(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CandidateError("text", "write the note")
    text = value.replace("\r\n", "\n").strip()
    if len(text) > NOTE_MAX:
        raise CandidateError("text", f"keep a note under {NOTE_MAX} characters")
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        raise CandidateError("text", "must not contain control characters")
    return text


def add_note(
    session: Session,
    actor: User,
    text: Any,
    *,
    candidate: Candidate | None = None,
    call: Call | None = None,
) -> CallEvent:
    """A free-text note on a call (it shows on the candidate's timeline too) or on the
    candidate. Append-only and chained like every event."""
    if call is not None:
        if not can_note_call(actor, call):
            raise CandidateError(None, "only a recruiter who may read this call adds notes", 403)
        candidate = call.candidate
    elif candidate is None or not can_note_candidate(actor, candidate):
        raise CandidateError(None, "only the candidate's recruiter adds notes", 403)
    return record_change(
        session,
        "note.added",
        actor=actor,
        candidate=candidate,
        call=call,
        detail={"text": parse_note(text)},
    )
