"""Creating and changing candidates: every surface (page, API, import, ATS upsert) goes
through here, so the rules and the chained events are the same wherever a change comes from.

Stage, owner and do-not-call changes are chained events with who, from, to and why; other
detail changes are chained as the names of the fields that changed (their values are
personal data and stay on the candidate row)."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from phonenumbers import timezone as phone_timezones
from sqlalchemy import ARRAY, String, any_, bindparam, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr.callflow import owed
from ivr.callflow.events import record_change
from ivr.callflow.owed import OwedPolicy
from ivr.config import Settings
from ivr.permissions import (
    can_create_candidates,
    can_edit_candidate,
    can_note_call,
    can_note_candidate,
    may_own_candidates,
)
from models import Call, CallEvent, Candidate, Stage, User
from models.base import MAX_ID
from models.candidate import (
    EMAIL_MAX,
    EXTERNAL_ID_MAX,
    NAME_MAX,
    REASON_MAX,
    SOURCE_MAX,
    is_timezone,
    random_code,
)
from models.enums import STAGES
from models.phone import InvalidPhoneNumber, normalize_phone, parse_e164

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
    # When a call owed to a candidate (closure, offer answer) falls due.
    owed: OwedPolicy = field(default_factory=OwedPolicy.default)

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        return cls(
            region=settings.default_phone_region,
            default_timezone=settings.timezone,
            owed=OwedPolicy.from_settings(settings),
        )


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
    # isprintable() is False for every Cc, Cs, Co and Cn character (and a few harmless
    # others): the quick test that spares most text the walk, an import's every cell.
    if not text.isprintable() and any(
        unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") for ch in text
    ):
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
    zones = phone_timezones.time_zones_for_number(parse_e164(phone))
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


class CandidateBatch:
    """Many creates and changes in one transaction and one flush: the importer's way.

    The candidates a batch of records may name are fetched up front (two queries: by phone,
    by ATS key) and kept current as the batch creates and changes them, so matching and the
    taken-phone and taken-key rules run in memory. New candidates get their ids and dial-in
    codes up front too, so that each "candidate.created" event carries its candidate's id
    when the flush seals it. Functions given a batch add rows and events and never flush;
    the caller works inside `session.no_autoflush`, then flushes once and commits."""

    def __init__(
        self, session: Session, records: Iterable[tuple[str | None, str | None, str | None]]
    ) -> None:
        """`records`: the (phone, source, external_id) of every record in the batch."""
        self.session = session
        self._by_phone: dict[str, Candidate] = {}
        self._by_key: dict[tuple[str, str], Candidate] = {}
        records = list(records)
        self._postgresql = session.get_bind().dialect.name == "postgresql"
        if self._postgresql:
            # The IN lists below are the same SQL every batch, so the driver prepares them and
            # PostgreSQL may settle on one generic plan, made when the table was small: a
            # sequential scan that, 100,000 rows later, takes a second a batch. Plan each
            # for the values and the table it meets (this transaction only).
            session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        self._phones = {phone for phone, _, _ in records if phone}
        self._keys = {(src, ext) for _, src, ext in records if src and ext}
        if self._phones:
            found = select(Candidate).where(self._one_of(Candidate.phone, self._phones))
            for candidate in session.scalars(found):
                self._remember(candidate)
        by_source: dict[str, set[str]] = defaultdict(set)
        for source, external_id in self._keys:
            by_source[source].add(external_id)
        for source, external_ids in by_source.items():
            found = select(Candidate).where(
                Candidate.source == source, self._one_of(Candidate.external_id, external_ids)
            )
            for candidate in session.scalars(found):
                self._remember(candidate)
        # At most this many are new: those matching nobody (repeats within the batch aside).
        self._expect_new = sum(
            1
            for phone, src, ext in records
            if (not phone or phone not in self._by_phone)
            and not (src and ext and (src, ext) in self._by_key)
        )
        self._ids: list[int] = []
        self._next_sqlite_id: int | None = None
        self._codes: list[str] = []
        self._codes_drawn: set[str] = set()

    def _one_of(self, column: Any, values: Iterable[str]) -> Any:
        """`column IN values`; on PostgreSQL as one array parameter instead of a thousand,
        which the driver would otherwise spend longer splitting than the query takes."""
        if self._postgresql:
            return column == any_(bindparam(None, sorted(values), type_=ARRAY(String)))
        return column.in_(values)

    def by_phone(self, phone: str) -> Candidate | None:
        if phone in self._by_phone or phone in self._phones:
            return self._by_phone.get(phone)
        return by_phone(self.session, phone)  # not one of the batch's: ask the database

    def by_external_id(self, source: str, external_id: str) -> Candidate | None:
        key = (source, external_id)
        if key in self._by_key or key in self._keys:
            return self._by_key.get(key)
        return by_external_id(self.session, source, external_id)

    def track(
        self, candidate: Candidate, was: tuple[str, str | None, str | None] | None = None
    ) -> None:
        """A candidate the batch created, or changed from `was` (phone, source, external_id)."""
        if was is not None:
            phone, source, external_id = was
            if self._by_phone.get(phone) is candidate:
                del self._by_phone[phone]
            if source and external_id and self._by_key.get((source, external_id)) is candidate:
                del self._by_key[(source, external_id)]
        self._remember(candidate)

    def _remember(self, candidate: Candidate) -> None:
        self._by_phone[candidate.phone] = candidate
        if candidate.source and candidate.external_id:
            self._by_key[(candidate.source, candidate.external_id)] = candidate

    def new_id(self) -> int:
        if not self._ids:
            self._ids = self._reserve_ids(max(self._expect_new, 16))
        return self._ids.pop()

    def new_code(self) -> str:
        if not self._codes:
            self._draw_codes(max(self._expect_new, 16))
        return self._codes.pop()

    def _reserve_ids(self, count: int) -> list[int]:
        if self._postgresql:
            ids = self.session.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence('candidates', 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"n": count},
            ).all()
        else:
            # SQLite hands out max(id) + 1 itself; the transaction (BEGIN IMMEDIATE) holds
            # the write lock, so nobody else takes these before the batch commits.
            if self._next_sqlite_id is None:
                top = self.session.scalar(select(func.max(Candidate.id)))
                self._next_sqlite_id = (top or 0) + 1
            ids = list(range(self._next_sqlite_id, self._next_sqlite_id + count))
            self._next_sqlite_id += count
        return sorted(ids, reverse=True)  # popped from the end: ascending

    def _draw_codes(self, count: int) -> None:
        drawn: set[str] = set()
        for _ in range(count * 20):
            if len(drawn) == count:
                break
            code = random_code()
            if code not in self._codes_drawn:
                drawn.add(code)
        self._codes_drawn |= drawn
        taken = set(
            self.session.scalars(select(Candidate.code).where(self._one_of(Candidate.code, drawn)))
        )
        self._codes = sorted(drawn - taken)
        if not self._codes:
            raise CandidateError(None, "could not find a free dial-in code; try again", 503)


def _owner_user(session: Session, owner_id: int) -> User:
    owner = session.get(User, owner_id)
    if not may_own_candidates(owner):
        raise CandidateError("owner_id", "must be the id of an active recruiter")
    assert owner is not None
    return owner


# Creating --------------------------------------------------------------------------------


def create_candidate(
    session: Session,
    actor: User,
    fields: Mapping[str, Any],
    rules: Rules,
    *,
    via: str,
    batch: CandidateBatch | None = None,
) -> Candidate:
    """A new candidate from parsed fields. A recruiter's candidate is theirs unless another
    recruiter is named; an admin's is unowned unless one is named. In a batch it is added,
    not flushed (see CandidateBatch)."""
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
    if owner is None and may_own_candidates(actor):
        owner = actor
    phone = fields["phone"]
    _refuse_taken_phone(session, phone, None, batch)
    if source is not None and external_id is not None:
        _refuse_taken_key(session, source, external_id, None, batch)
    do_not_call = bool(fields.get("do_not_call", False))
    dnc_reason = fields.get("do_not_call_reason") or fields.get("reason")
    if do_not_call and not dnc_reason:
        raise CandidateError("do_not_call_reason", "say why this person must not be called")
    candidate = Candidate(
        name=fields["name"],
        phone=phone,
        email=fields.get("email"),
        owner_id=owner.id if owner else None,
        stage=fields.get("stage") or Stage.APPLIED,
        timezone=fields.get("timezone") or timezone_for(phone, rules),
        external_id=external_id,
        source=source,
        do_not_call=do_not_call,
        do_not_call_reason=dnc_reason if do_not_call else None,
        code=batch.new_code() if batch else random_code(),
    )
    if batch is None:
        _insert(session, candidate)
    else:
        candidate.id = batch.new_id()
        session.add(candidate)
        batch.track(candidate)
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
        flush=batch is None,
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
            _refuse_taken_phone(session, candidate.phone, None, None)
            if candidate.external_id is not None and candidate.source is not None:
                _refuse_taken_key(session, candidate.source, candidate.external_id, None, None)
            candidate.code = random_code()
    raise CandidateError(None, "could not find a free dial-in code; try again", 503)


def _refuse_taken_phone(
    session: Session, phone: str, own: Candidate | None, batch: CandidateBatch | None
) -> None:
    existing = batch.by_phone(phone) if batch else by_phone(session, phone)
    if existing is not None and existing is not own:
        raise CandidateError(
            "phone", "another candidate has this phone number", 409, existing_id=existing.id
        )


def _refuse_taken_key(
    session: Session,
    source: str,
    external_id: str,
    own: Candidate | None,
    batch: CandidateBatch | None,
) -> None:
    if batch is not None:
        existing = batch.by_external_id(source, external_id)
    else:
        existing = by_external_id(session, source, external_id)
    if existing is not None and existing is not own:
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
    batch: CandidateBatch | None = None,
) -> list[CallEvent]:
    """Apply parsed fields; only real changes write events, so sending the same body twice
    changes nothing the second time. Returns the events written (in a batch: added, not
    flushed). Every refusal comes before the first change, so a refused update leaves the
    candidate as it was."""
    if not can_edit_candidate(actor, candidate):
        raise CandidateError(None, "only the candidate's owner or an admin may change it", 403)
    reason = fields.get("reason")
    if "name" in fields and fields["name"] is None:
        raise CandidateError("name", "is required")
    moves_phone = "phone" in fields and fields["phone"] != candidate.phone
    if moves_phone:
        if fields["phone"] is None:
            raise CandidateError("phone", "is required")
        _refuse_taken_phone(session, fields["phone"], candidate, batch)
    source = fields.get("source", candidate.source)
    external_id = fields.get("external_id", candidate.external_id)
    if (source is None) != (external_id is None):
        missing = "source" if source is None else "external_id"
        raise CandidateError(missing, "external_id and source go together (an ATS's key)")
    if external_id is not None and (source, external_id) != (
        candidate.source,
        candidate.external_id,
    ):
        _refuse_taken_key(session, source, external_id, candidate, batch)
    moves_owner = "owner_id" in fields and fields["owner_id"] != candidate.owner_id
    new_owner = (
        _owner_user(session, fields["owner_id"]) if moves_owner and fields["owner_id"] else None
    )
    flips_dnc = "do_not_call" in fields and fields["do_not_call"] != candidate.do_not_call
    # Marking: the reason given for do-not-call itself comes first (as on creation);
    # clearing: the change's reason, since the old do-not-call reason no longer holds.
    marking = bool(fields.get("do_not_call"))
    dnc_why = (fields.get("do_not_call_reason") if marking else None) or reason
    dnc_why = dnc_why or fields.get("do_not_call_reason")
    if flips_dnc:
        _require_dnc_reason(fields["do_not_call"], dnc_why)

    was = (candidate.phone, candidate.source, candidate.external_id)
    flush = batch is None
    events: list[CallEvent] = []
    changed: list[str] = []
    if moves_phone and "timezone" not in fields:
        if candidate.timezone == timezone_for(candidate.phone, rules):
            # The zone came from the old number: let it follow the new one.
            new_zone = timezone_for(fields["phone"], rules)
            if new_zone != candidate.timezone:
                candidate.timezone = new_zone
                changed.append("timezone")
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
                flush=flush,
            )
        )

    if "stage" in fields and fields["stage"] != candidate.stage:
        events.append(
            change_stage(
                session,
                actor,
                candidate,
                fields["stage"],
                reason,
                via=via,
                flush=flush,
                policy=rules.owed,
            )
        )
    if moves_owner:
        events.append(
            change_owner(session, actor, candidate, new_owner, reason, via=via, flush=flush)
        )
    if flips_dnc:
        events.append(
            change_do_not_call(
                session, actor, candidate, fields["do_not_call"], dnc_why, via=via, flush=flush
            )
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
                flush=flush,
            )
        )
    if batch is not None:
        batch.track(candidate, was)
    elif events:
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
    flush: bool = True,
    policy: OwedPolicy | None = None,
) -> CallEvent:
    """The one place a surface changes a stage: it also opens (or closes) what the change
    owes the candidate, a closure call after an interview above all (ivr.callflow.owed)."""
    before = candidate.stage
    detail: dict[str, Any] = {"from": before, "to": stage, "via": via}
    if reason:
        detail["reason"] = reason
    candidate.stage = stage
    event = record_change(
        session,
        "candidate.stage_changed",
        actor=actor,
        candidate=candidate,
        detail=detail,
        flush=flush,
    )
    owed.on_stage_change(
        session, actor, candidate, before, stage, via=via, policy=policy, flush=flush
    )
    return event


def change_owner(
    session: Session,
    actor: User,
    candidate: Candidate,
    owner: User | None,
    reason: str | None,
    *,
    via: str,
    flush: bool = True,
) -> CallEvent:
    # By id, not candidate.owner: a candidate still pending in a batch has not loaded it.
    previous = session.get(User, candidate.owner_id) if candidate.owner_id else None
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
    owed.on_owner_change(session, candidate, candidate.owner_id)
    return record_change(
        session,
        "candidate.owner_changed",
        actor=actor,
        candidate=candidate,
        detail=detail,
        flush=flush,
    )


def change_do_not_call(
    session: Session,
    actor: User,
    candidate: Candidate,
    do_not_call: bool,
    reason: str | None,
    *,
    via: str,
    flush: bool = True,
) -> CallEvent:
    """Setting or clearing do-not-call always carries a written reason."""
    _require_dnc_reason(do_not_call, reason)
    candidate.do_not_call = do_not_call
    candidate.do_not_call_reason = reason if do_not_call else None
    return record_change(
        session,
        "candidate.do_not_call" if do_not_call else "candidate.do_not_call_cleared",
        actor=actor,
        candidate=candidate,
        detail={"reason": reason, "via": via},
        flush=flush,
    )


def _require_dnc_reason(do_not_call: bool, reason: str | None) -> None:
    if not reason:
        field = "reason" if not do_not_call else "do_not_call_reason"
        what = "clearing do-not-call" if not do_not_call else "marking do-not-call"
        raise CandidateError(field, f"{what} needs a written reason")


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
    session: Session,
    source: str | None,
    external_id: str | None,
    phone: str | None,
    *,
    batch: CandidateBatch | None = None,
) -> tuple[Candidate | None, str | None]:
    """The existing candidate a record describes: by its ATS key, then by phone. A phone
    match that carries a different key of the same ATS is someone else (None, "conflict")."""
    if source and external_id:
        if batch is not None:
            found = batch.by_external_id(source, external_id)
        else:
            found = by_external_id(session, source, external_id)
        if found is not None:
            return found, "external_id"
    if phone:
        found = batch.by_phone(phone) if batch is not None else by_phone(session, phone)
        if found is not None:
            if source and found.source == source and found.external_id not in (None, external_id):
                return found, "conflict"
            return found, "phone"
    return None, None


def conflict(found: Candidate, source: str) -> CandidateError:
    """The refusal for a record whose phone belongs to someone else in the same ATS."""
    return CandidateError(
        "phone",
        f"this phone belongs to a candidate with another {source} id",
        409,
        existing_id=found.id,
    )


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
        raise conflict(found, source)
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
