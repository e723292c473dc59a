"""Changes to the system itself: users (with their routing and timezone) and outcome codes.

Each change is checked here, applied to the session and sealed into the chain as a CallEvent
naming its subject ("user:12", "outcome_code:5"), so auditors see who changed what. A save
that changes nothing writes nothing. Personal data (names, emails, phones) never enters the
append-only chain: only which of those fields changed. Passwords never do. Never commits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ivr.callflow.events import record_change
from ivr.routing import hunt_order_refusal
from models import ROLES, CallEvent, OutcomeCode, Role, User
from models.candidate import is_timezone
from models.enums import STAGES
from models.phone import InvalidPhoneNumber, normalize_phone
from models.user import PIN_MAX, PIN_MIN, is_pin

MIN_PASSWORD, MAX_PASSWORD = 10, 200
NAME_MAX, EMAIL_MAX, LABEL_MAX = 120, 254, 80

# Shown in the chain with their old and new values.
TRACKED_USER_FIELDS = ("role", "hunt_order", "is_available", "is_active", "timezone")
# Personal data: the chain records that they changed, never what they were or became.
PERSONAL_USER_FIELDS = ("name", "email", "phone")
USER_FIELDS = (*PERSONAL_USER_FIELDS, *TRACKED_USER_FIELDS)
OUTCOME_FIELDS = ("label", "sets_stage", "marks_do_not_call", "is_active")


class ChangeRefused(ValueError):
    """A change the rules refuse: `field` names the input at fault, `reason` says why in words
    an admin understands, `status` is the HTTP answer that fits (400 bad input, 409 conflict)."""

    def __init__(self, field: str, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.field, self.reason, self.status = field, reason, status

    def __str__(self) -> str:
        return self.reason


def user_subject(user: User) -> str:
    return f"user:{user.id}"


def outcome_subject(digit: str) -> str:
    return f"outcome_code:{digit}"


# Users ------------------------------------------------------------------------------------


def _clean_name(value: Any) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise ChangeRefused("name", "a name is required")
    if len(text) > NAME_MAX:
        raise ChangeRefused("name", f"a name is at most {NAME_MAX} characters")
    return text


def _clean_email(session: Session, user_id: int | None, value: Any) -> str:
    text = str(value or "").strip().lower()
    local, at, domain = text.partition("@")
    if not at or not local or not domain or " " in text:
        raise ChangeRefused("email", f"{text or 'an empty value'!r} is not an email address")
    if len(text) > EMAIL_MAX:
        raise ChangeRefused("email", f"an email address is at most {EMAIL_MAX} characters")
    holder = session.scalar(select(User).where(User.email == text, User.id != (user_id or 0)))
    if holder is not None:
        raise ChangeRefused("email", f"{text} already belongs to another user, {holder.name}", 409)
    return text


def _clean_phone(session: Session, user_id: int | None, value: Any) -> str | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        phone = normalize_phone(text)
    except InvalidPhoneNumber as bad:
        raise ChangeRefused("phone", str(bad)) from None
    holder = session.scalar(select(User).where(User.phone == phone, User.id != (user_id or 0)))
    if holder is not None:
        raise ChangeRefused(
            "phone", f"that phone number already belongs to another user, {holder.name}", 409
        )
    return phone


def _clean_timezone(value: Any) -> str | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not is_timezone(text):
        raise ChangeRefused(
            "timezone", f"{text!r} is not a known IANA timezone, like Europe/London"
        )
    return text


def _clean_user_fields(
    session: Session, user_id: int | None, values: Mapping[str, Any]
) -> dict[str, Any]:
    unknown = set(values) - set(USER_FIELDS)
    if unknown:
        raise TypeError(f"not a user field: {', '.join(sorted(unknown))}")
    clean: dict[str, Any] = {}
    for name, value in values.items():
        if name == "name":
            clean[name] = _clean_name(value)
        elif name == "email":
            clean[name] = _clean_email(session, user_id, value)
        elif name == "phone":
            clean[name] = _clean_phone(session, user_id, value)
        elif name == "timezone":
            clean[name] = _clean_timezone(value)
        elif name == "role":
            if value not in ROLES:
                raise ChangeRefused("role", f"a role is one of {', '.join(ROLES)}")
            clean[name] = value
        elif name == "hunt_order":
            clean[name] = None if value in (None, "") else int(value)
        else:
            clean[name] = bool(value)
    return clean


def _check_routing(session: Session, user_id: int | None, fields: Mapping[str, Any]) -> None:
    reason = hunt_order_refusal(
        session,
        user_id=user_id,
        role=fields["role"],
        hunt_order=fields["hunt_order"],
        phone=fields["phone"],
    )
    if reason is not None:
        raise ChangeRefused("hunt_order", reason)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ChangeRefused("password", f"a password is at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise ChangeRefused("password", f"a password is at most {MAX_PASSWORD} characters")


def active_admins(session: Session) -> int:
    count = select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.is_active)
    return session.scalar(count) or 0


def create_user(
    session: Session,
    actor: User | None,
    values: Mapping[str, Any],
    password: str | None,
    *,
    source: str = "user",
) -> User:
    """Add a user from `values` (name and email required; role recruiter, takes calls and
    active unless told otherwise) and chain a user.created event. Without a password the user
    cannot sign in to the pages (an API-only account)."""
    fields: dict[str, Any] = {
        "role": Role.RECRUITER,
        "phone": None,
        "hunt_order": None,
        "is_available": True,
        "is_active": True,
        "timezone": None,
        **_clean_user_fields(session, None, {"name": None, "email": None, **values}),
    }
    _check_routing(session, None, fields)
    user = User(**fields)
    if password is not None:
        _check_password(password)
        user.set_password(password)
    session.add(user)
    session.flush()
    detail: dict[str, Any] = {name: fields[name] for name in TRACKED_USER_FIELDS}
    detail["fields"] = [name for name in PERSONAL_USER_FIELDS if fields[name] is not None]
    record_change(
        session,
        "user.created",
        actor=actor,
        subject=user_subject(user),
        detail=detail,
        source=source,
    )
    return user


def update_user(
    session: Session, actor: User | None, user: User, values: Mapping[str, Any]
) -> CallEvent | None:
    """Change the fields in `values` (others stay), keeping the hunt group ringable and one
    active admin; chain a user.changed event, or nothing when nothing changed."""
    clean = _clean_user_fields(session, user.id, values)
    before = {name: getattr(user, name) for name in USER_FIELDS}
    after = {**before, **clean}
    changed = [name for name in USER_FIELDS if after[name] != before[name]]
    if not changed:
        return None
    if {"role", "hunt_order", "phone"} & set(changed):
        _check_routing(session, user.id, after)
    was_admin = before["role"] == Role.ADMIN and before["is_active"]
    stays_admin = after["role"] == Role.ADMIN and after["is_active"]
    if was_admin and not stays_admin and active_admins(session) < 2:
        field = "role" if after["role"] != Role.ADMIN else "is_active"
        raise ChangeRefused(
            field, "keep at least one active admin: make someone else an admin first", 409
        )
    for name in changed:
        setattr(user, name, after[name])
    session.flush()
    detail = {
        "fields": changed,
        "changes": {
            name: {"from": before[name], "to": after[name]}
            for name in changed
            if name in TRACKED_USER_FIELDS
        },
    }
    return record_change(
        session, "user.changed", actor=actor, subject=user_subject(user), detail=detail
    )


def reset_password(session: Session, actor: User | None, user: User, password: str) -> CallEvent:
    """Set a new password; the chain records that it was reset and by whom, nothing more."""
    _check_password(password)
    user.set_password(password)
    session.flush()
    return record_change(
        session, "user.password_reset", actor=actor, subject=user_subject(user), detail={}
    )


def set_line_pin(session: Session, actor: User | None, user: User, pin: str) -> CallEvent:
    """Set the recruiter line's PIN; the chain records that it was set and by whom, never the
    PIN (not even hashed)."""
    if user.role != Role.RECRUITER:
        raise ChangeRefused("pin", "only recruiters have a recruiter line")
    if not is_pin(pin):
        raise ChangeRefused("pin", f"a PIN is {PIN_MIN} to {PIN_MAX} digits, nothing else")
    user.set_pin(pin)
    session.flush()
    return record_change(
        session, "user.line_pin_set", actor=actor, subject=user_subject(user), detail={}
    )


# Outcome codes ----------------------------------------------------------------------------


def _clean_outcome_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(OUTCOME_FIELDS)
    if unknown:
        raise TypeError(f"not an outcome code field: {', '.join(sorted(unknown))}")
    clean: dict[str, Any] = {}
    for name, value in values.items():
        if name == "label":
            text = " ".join(str(value or "").split())
            if not text:
                raise ChangeRefused("label", "a label is required")
            if len(text) > LABEL_MAX:
                raise ChangeRefused("label", f"a label is at most {LABEL_MAX} characters")
            clean[name] = text
        elif name == "sets_stage":
            stage = value or None
            if stage is not None and stage not in STAGES:
                raise ChangeRefused("sets_stage", f"a stage is one of {', '.join(STAGES)}")
            clean[name] = stage
        else:
            clean[name] = bool(value)
    return clean


def save_outcome_code(
    session: Session, actor: User | None, digit: str, values: Mapping[str, Any]
) -> tuple[OutcomeCode, CallEvent | None]:
    """Add the code for `digit`, or change the fields of it in `values` (others stay). Codes
    are never deleted: old calls keep theirs; an inactive code is no longer offered."""
    if not (isinstance(digit, str) and len(digit) == 1 and digit.isdigit()):
        raise ChangeRefused("digit", "an outcome code is one keypad digit, 0 to 9")
    clean = _clean_outcome_fields(values)
    code = session.scalar(select(OutcomeCode).where(OutcomeCode.digit == digit))
    created = code is None
    if code is None:
        if "label" not in clean:
            raise ChangeRefused("label", "a new code needs a label")
        before: dict[str, Any] = {"digit": None, "label": None, "sets_stage": None,
                                  "marks_do_not_call": None, "is_active": None}  # fmt: skip
        after = {"digit": digit, "sets_stage": None, "marks_do_not_call": False,
                 "is_active": True, **clean}  # fmt: skip
        code = OutcomeCode(**after)
        session.add(code)
    else:
        before = {"digit": digit, **{name: getattr(code, name) for name in OUTCOME_FIELDS}}
        after = {**before, **clean}
    changed = [name for name in ("digit", *OUTCOME_FIELDS) if after[name] != before[name]]
    if not changed:
        return code, None
    for name in changed:
        setattr(code, name, after[name])
    session.flush()
    detail = {
        "created": created,
        "changes": {name: {"from": before[name], "to": after[name]} for name in changed},
    }
    event = record_change(
        session, "outcome_code.saved", actor=actor, subject=outcome_subject(digit), detail=detail
    )
    return code, event
