"""Every set of values a column may hold, as StrEnums; the CHECK constraints are made from them."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint


class Role(StrEnum):
    RECRUITER = "recruiter"  # their own candidates and calls
    AUDITOR = "auditor"  # reads everything (every read recorded), changes nothing
    ADMIN = "admin"  # users, routing, outcome codes, candidates' records; no call logs


class Direction(StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


# Twilio may deliver status callbacks late or out of order; a status only ever moves forward,
# to a higher rank. Every way a call ends shares the last rank: none follows another.
_TERMINAL_RANK = 4


class CallStatus(StrEnum):
    """Twilio's call statuses, in the order a call moves through them."""

    QUEUED = "queued"
    INITIATED = "initiated"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def rank(self) -> int:
        return min(list(CallStatus).index(self), _TERMINAL_RANK)

    @property
    def is_terminal(self) -> bool:
        return self.rank == _TERMINAL_RANK

    @property
    def is_active(self) -> bool:
        return not self.is_terminal


class Disposition(StrEnum):
    """How a call went, in the product's terms (words.DISPOSITIONS says each in words)."""

    CONNECTED = "connected"
    ANSWERED = "answered"
    VOICEMAIL = "voicemail"
    MISSED = "missed"
    NOT_PLACED = "not-placed"
    CANCELED = "canceled"
    CANDIDATE_NO_ANSWER = "candidate-no-answer"
    CANDIDATE_BUSY = "candidate-busy"
    CANDIDATE_UNREACHABLE = "candidate-unreachable"
    CANDIDATE_VOICEMAIL = "candidate-voicemail"  # a machine answered the candidate's phone
    RECRUITER_NO_ANSWER = "recruiter-no-answer"
    RECRUITER_DECLINED = "recruiter-declined"
    RECRUITER_UNREACHABLE = "recruiter-unreachable"
    RECRUITER_DID_NOT_ACCEPT = "recruiter-did-not-accept"
    RECRUITER_HUNG_UP_BEFORE_BRIDGE = "recruiter-hung-up-before-bridge"
    RECRUITER_HUNG_UP_WHILE_RINGING = "recruiter-hung-up-while-ringing"


class Flow(StrEnum):
    """Which call flow a call is. A one-click call to a candidate has none (NULL)."""

    CALLBACK = "callback"  # a one-click call back to an unknown caller's number
    DIAL_IN = "dial-in"  # a recruiter calling the line from their own phone
    CANDIDATE = "candidate"  # a candidate calling the company number
    DECISION = "decision"  # a candidate with an offer who chose to answer it by phone
    UNKNOWN_CALLER = "unknown-caller"  # a number nobody knows


class Stage(StrEnum):
    """Where a candidate is in the pipeline, in pipeline order."""

    APPLIED = "applied"
    SCREENING = "screening"
    INTERVIEWING = "interviewing"
    OFFER = "offer"
    HIRED = "hired"
    NOT_SELECTED = "not_selected"
    WITHDRAWN = "withdrawn"


class CallbackStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class CallbackReason(StrEnum):
    VOICEMAIL = "voicemail"
    OFFER_ANSWER = "offer answer"


class OwedReason(StrEnum):
    """Why a recruiter owes a candidate a call (the owed-calls queue, ivr.callflow.owed)."""

    CLOSURE = "closure"  # interviewed, not selected: they hear it from a person
    CALLBACK = "callback"  # a voicemail waiting to be returned
    CALL_BACK_LATER = "call_back_later"  # the candidate asked to be called back
    OFFER_ANSWER = "offer_answer"  # an open offer waiting for the candidate's answer


class OwedClosedBy(StrEnum):
    """How an owed call stopped being owed."""

    TOLD_PERSONALLY = "told_personally"  # a connected call with that outcome
    REACHED = "reached"  # a connected call (a call back later)
    CALLBACK_DONE = "callback_done"  # its callback task was done
    STAGE_CHANGED = "stage_changed"  # the candidate moved on: nothing is owed any more
    BY_HAND = "by_hand"  # the recruiter, after the attempts, with a written reason


class OutcomeMeaning(StrEnum):
    """What an outcome code means to the owed-calls queue, whatever an admin labels it."""

    TOLD_NOT_SELECTED = "told_not_selected"
    VOICEMAIL = "voicemail"
    NO_ANSWER = "no_answer"
    CALL_BACK_LATER = "call_back_later"
    WRONG_NUMBER = "wrong_number"


def values(enum: type[StrEnum]) -> tuple[str, ...]:
    """The members as plain strings, in order (for choices, messages and JSON schemas)."""
    return tuple(member.value for member in enum)


def enum_check(column: str, enum: type[StrEnum], name: str) -> CheckConstraint:
    """A CHECK that `column` holds one of the members (or NULL, where the column allows it)."""
    allowed = ", ".join(f"'{value}'" for value in values(enum))
    return CheckConstraint(f"{column} IN ({allowed})", name=name)


ROLES = values(Role)
STAGES = values(Stage)
ACTIVE_STATUSES = tuple(status.value for status in CallStatus if status.is_active)
TERMINAL_STATUSES = tuple(status.value for status in CallStatus if status.is_terminal)
