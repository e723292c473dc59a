"""Users (recruiters, auditors, admins) and their hashed API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, select, true
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash

from models.base import Base, UTCDateTime, utcnow
from models.enums import ROLES, Role, enum_check
from models.phone import normalize_phone

# werkzeug's default, deliberately slow. Under TESTING scrypt would be most of the suite's time,
# so tests hash cheaply; every hash names its method, so hashes of either kind keep verifying.
SECURE_PASSWORD_METHOD = "scrypt"
TESTING_PASSWORD_METHOD = "pbkdf2:sha256:1"
PASSWORD_METHOD = SECURE_PASSWORD_METHOD
# The recruiter line's PIN: keyed on a phone, so digits only; four at least, eight at most.
PIN_MIN, PIN_MAX = 4, 8
PIN_PATTERN = re.compile(rf"[0-9]{{{PIN_MIN},{PIN_MAX}}}")
# A hash of nothing anyone knows, per method: a sign-in for an unknown email is checked
# against it, so it costs what a known email's check costs (no user enumeration by timing).
_DUMMY_HASHES: dict[str, str] = {}


def use_testing_password_method(testing: bool) -> None:
    """create_app calls this with settings.testing: production always hashes with scrypt."""
    global PASSWORD_METHOD
    PASSWORD_METHOD = TESTING_PASSWORD_METHOD if testing else SECURE_PASSWORD_METHOD


class User(Base):
    __tablename__ = "users"
    __table_args__ = (enum_check("role", Role, "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(16), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # The recruiter line's PIN, hashed like the password; None: no PIN set, and the recruiter
    # line opens nothing (caller ID alone can be spoofed).
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Team routing for inbound calls: position in the hunt group (None = not in it), and
    # whether the recruiter takes calls right now.
    # Unique: two recruiters at one position would ring in an order nobody chose (NULLs repeat).
    hunt_order: Mapped[int | None] = mapped_column(Integer, unique=True)
    is_available: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Where this person reads times; None: the team's business timezone.
    timezone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of every session's login id: bumped on sign-out and on a password change, so a
    # session cookie issued before (say, copied from the browser) no longer signs anyone in.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    @validates("email")
    def _normalise_email(self, _key: str, value: str) -> str:
        value = value.strip().lower()
        if "@" not in value or value.startswith("@") or value.endswith("@"):
            raise ValueError(f"{value!r} is not an email address")
        return value

    @validates("role")
    def _check_role(self, _key: str, value: str) -> str:
        if value not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, not {value!r}")
        return value

    @validates("phone")
    def _normalise_phone(self, _key: str, value: str | None) -> str | None:
        return None if value is None or not value.strip() else normalize_phone(value)

    @validates("timezone")
    def _check_timezone(self, _key: str, value: str | None) -> str | None:
        from models.candidate import is_timezone  # models.candidate imports this module

        if value is None or not value.strip():
            return None
        if not is_timezone(value):
            raise ValueError(f"{value!r} is not a known IANA timezone, like Europe/London")
        return value

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)
        if self.id is not None:  # a new user has no sessions to end
            self.end_sessions()

    def end_sessions(self) -> None:
        """Every session signed in so far stops working (its login id no longer matches)."""
        self.session_version = (self.session_version or 0) + 1

    def check_password(self, password: str) -> bool:
        if not self.password_hash:
            return check_no_password(password)
        return check_password_hash(self.password_hash, password)

    @property
    def has_pin(self) -> bool:
        return bool(self.pin_hash)

    def set_pin(self, pin: str) -> None:
        if not is_pin(pin):
            raise ValueError(f"a PIN is {PIN_MIN} to {PIN_MAX} digits")
        self.pin_hash = generate_password_hash(pin, method=PASSWORD_METHOD)

    def check_pin(self, pin: str) -> bool:
        if not self.pin_hash or not is_pin(pin):
            return False
        return check_password_hash(self.pin_hash, pin)

    # Flask-Login's user protocol, spelled out rather than mixed in so is_active stays a column.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """What the session keeps (Flask-Login's alternative token): the id and the session
        version, so ending sessions is a matter of bumping the version."""
        return f"{self.id}:{self.session_version or 0}"

    def matches_login_id(self, login_id: str) -> bool:
        _, _, version = login_id.partition(":")
        # A bare id is a session from before versions: it stands for version 0.
        return (version or "0") == str(self.session_version or 0)

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else self.name


def is_pin(value: str) -> bool:
    # fullmatch on ASCII digits: str.isdigit() would take "²" and other digits no phone keys.
    return PIN_PATTERN.fullmatch(value) is not None


def check_no_password(password: str) -> bool:
    """The work of a password check for a sign-in that has no user (or no password) to check
    against; always False."""
    dummy = _DUMMY_HASHES.get(PASSWORD_METHOD)
    if dummy is None:
        dummy = generate_password_hash(secrets.token_urlsafe(16), method=PASSWORD_METHOD)
        _DUMMY_HASHES[PASSWORD_METHOD] = dummy
    check_password_hash(dummy, password)
    return False


def hash_token(token: str) -> str:
    # Tokens are 256 random bits, so a fast unsalted digest is enough and keeps lookup indexed.
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="tokens")

    @classmethod
    def issue(cls, session: Session, user: User, label: str = "") -> str:
        """Store a new token's hash and return the token itself, which is never stored."""
        token = secrets.token_urlsafe(32)
        session.add(cls(user=user, token_hash=hash_token(token), label=label))
        return token

    @classmethod
    def find_user(cls, session: Session, token: str) -> User | None:
        row = session.scalar(
            select(cls).where(cls.token_hash == hash_token(token), cls.revoked_at.is_(None))
        )
        if row is None or not row.user.is_active:
            return None
        return row.user
