"""Who may read or change what: calls, voicemails, outcomes, callbacks, candidates and notes.
The one home of every such rule: views, the API and domain functions ask here, never restate.

Recruiters work their own candidates and calls; auditors read everything and change nothing;
admins run the system (users, routing, candidates' records) but read no call log, so that
every read of a call log is an auditor's, and recorded."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select, true

from models import Call, CallbackTask, Candidate, Role, User

# Reads ------------------------------------------------------------------------------------


def reads_are_recorded(user: User) -> bool:
    """An auditor's every read leaves an access record. Other roles read only what is theirs,
    which their own work already logs."""
    return user.role == Role.AUDITOR


# Calls ------------------------------------------------------------------------------------


def visible_calls(user: User) -> ColumnElement[bool]:
    """The WHERE clause for the calls a user may read: a recruiter's own (theirs or their
    candidates'), every call for an auditor, none for an admin."""
    if user.role == Role.AUDITOR:
        return true()
    if user.role == Role.RECRUITER:
        owned = select(Candidate.id).where(Candidate.owner_id == user.id)
        return or_(Call.recruiter_id == user.id, Call.candidate_id.in_(owned))
    return false()


def can_read_call(user: User, call: Call, callback: CallbackTask | None = None) -> bool:
    """A call's page, its recording and its live state: what visible_calls lets the user read,
    and a voicemail for the recruiter who is to call it back (`callback`, the voicemail's
    task: the team's, or handed to them)."""
    if user.role == Role.AUDITOR:
        return True
    if user.role != Role.RECRUITER:
        return False
    if call.recruiter_id == user.id or (
        call.candidate is not None and call.candidate.owner_id == user.id
    ):
        return True
    return (
        callback is not None
        and callback.voicemail_call_id == call.id
        and can_work_callback(user, callback)
    )


def call_log_recruiters(user: User) -> ColumnElement[bool]:
    """The WHERE clause for the recruiters whose calls the log offers to filter by: everyone
    for an auditor, themselves for a recruiter."""
    if user.role == Role.AUDITOR:
        return true()
    if user.role == Role.RECRUITER:
        return User.id == user.id
    return false()


def places_calls(user: User) -> bool:
    """Only recruiters place calls: an auditor changes nothing, an admin reads no calls."""
    return user.role == Role.RECRUITER


def can_note_call(user: User, call: Call) -> bool:
    """Notes are a recruiter's working memory of a call they may read."""
    return user.role == Role.RECRUITER and can_read_call(user, call)


def can_hang_up(user: User, call: Call) -> bool:
    """A recruiter ends their own live call from the page; nobody else's."""
    return places_calls(user) and call.recruiter_id == user.id and call.is_active


def can_correct_outcome(user: User, call: Call) -> bool:
    """Only the recruiter whose call it is (the one who keyed the outcome in, or should have)."""
    return user.role == Role.RECRUITER and call.recruiter_id == user.id


# Callbacks --------------------------------------------------------------------------------


def workable_callbacks(user: User) -> ColumnElement[bool]:
    """The WHERE clause for can_work_callback: the recruiter's own and the team's."""
    if user.role != Role.RECRUITER:
        return false()
    return or_(CallbackTask.recruiter_id == user.id, CallbackTask.recruiter_id.is_(None))


def can_work_callback(user: User, task: CallbackTask) -> bool:
    """Call back, mark done or hand on a voicemail: the recruiter it waits for, or, while it
    waits for the whole team (no recruiter yet), any recruiter."""
    return user.role == Role.RECRUITER and task.recruiter_id in (None, user.id)


def can_call_back(user: User, task: CallbackTask) -> bool:
    """The Call back button: a callback of theirs to their own candidate who may be called,
    or to an unknown caller who left a number. (Placing the call checks again.)"""
    if not can_work_callback(user, task):
        return False
    if task.candidate is not None:
        return can_call_candidate(user, task.candidate)
    return bool(task.caller_number)


def may_take_callbacks(user: User | None) -> bool:
    """Whom a callback may be handed to: an active recruiter."""
    return _active_recruiter(user)


def callback_recipients(user: User) -> ColumnElement[bool]:
    """The WHERE clause for may_take_callbacks, leaving out the user handing it on."""
    return (User.role == Role.RECRUITER) & User.is_active.is_(True) & (User.id != user.id)


# Owed calls -------------------------------------------------------------------------------


def can_read_owed_calls(user: User, recruiter_id: int | None) -> bool:
    """A recruiter reads their own queue; auditors and admins any recruiter's (or everyone's,
    recruiter_id None), to see who is owed a call."""
    if user.role in (Role.AUDITOR, Role.ADMIN):
        return True
    return user.role == Role.RECRUITER and recruiter_id in (None, user.id)


# Candidates -------------------------------------------------------------------------------


def owns_candidate(user: User, candidate: Candidate) -> bool:
    """A recruiter's own candidate: theirs to call, change, take notes on and link calls to."""
    return user.role == Role.RECRUITER and candidate.owner_id == user.id


def visible_candidates(user: User, *, team: bool = False) -> ColumnElement[bool]:
    """The candidates a user's list shows: a recruiter's own, or the whole team's when they
    ask (to see who is whose); everyone's for auditors and admins."""
    if user.role == Role.RECRUITER and not team:
        return Candidate.owner_id == user.id
    if user.role in (Role.RECRUITER, Role.AUDITOR, Role.ADMIN):
        return true()
    return false()


def can_open_candidate(user: User, candidate: Candidate) -> bool:
    """The candidate's page: the owner, auditors (recorded) and admins (the record only)."""
    return user.role in (Role.AUDITOR, Role.ADMIN) or owns_candidate(user, candidate)


def can_read_candidate_history(user: User, candidate: Candidate) -> bool:
    """Calls, notes and voicemails on the candidate's page: the owner and auditors only."""
    return user.role == Role.AUDITOR or owns_candidate(user, candidate)


def can_edit_candidate(user: User, candidate: Candidate) -> bool:
    """Details, stage, owner and do-not-call (clearing it included): the owner or an admin."""
    return user.role == Role.ADMIN or owns_candidate(user, candidate)


def can_call_candidate(user: User, candidate: Candidate) -> bool:
    """The Call button: the owner, while the candidate may be called. (Placing the call
    checks again, with the phones and any call already in progress.)"""
    return owns_candidate(user, candidate) and not candidate.do_not_call


def can_create_candidates(user: User) -> bool:
    return user.role in (Role.RECRUITER, Role.ADMIN)


def may_own_candidates(user: User | None) -> bool:
    """An owner is an active recruiter; one who adds a candidate owns it unless they name
    someone else (an admin's may be nobody's)."""
    return _active_recruiter(user)


def can_note_candidate(user: User, candidate: Candidate) -> bool:
    return owns_candidate(user, candidate)


def _active_recruiter(user: User | None) -> bool:
    return user is not None and user.role == Role.RECRUITER and bool(user.is_active)
