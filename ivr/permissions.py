"""Who may read or change what: calls, candidates, notes. One home for every such rule.

Recruiters work their own candidates and calls; auditors read everything and change nothing;
admins run the system (users, routing, candidates' records) but read no call log, so that
every read of a call log is an auditor's, and recorded."""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, or_, select, true

from models import Call, CallbackTask, Candidate, User

RECRUITER, AUDITOR, ADMIN = "recruiter", "auditor", "admin"


# Calls ------------------------------------------------------------------------------------


def visible_calls(user: User) -> Any:
    """The WHERE clause for the calls a user may read: a recruiter's own (theirs or their
    candidates'), every call for an auditor, none for an admin."""
    if user.role == AUDITOR:
        return true()
    if user.role == RECRUITER:
        owned = select(Candidate.id).where(Candidate.owner_id == user.id)
        return or_(Call.recruiter_id == user.id, Call.candidate_id.in_(owned))
    return false()


def can_read_call(user: User, call: Call) -> bool:
    if user.role == AUDITOR:
        return True
    if user.role == RECRUITER:
        return call.recruiter_id == user.id or (
            call.candidate is not None and call.candidate.owner_id == user.id
        )
    return False


def can_note_call(user: User, call: Call) -> bool:
    """Notes are a recruiter's working memory of a call they may read."""
    return user.role == RECRUITER and can_read_call(user, call)


def can_correct_outcome(user: User, call: Call) -> bool:
    return user.role == RECRUITER and call.recruiter_id == user.id


# Callbacks --------------------------------------------------------------------------------


def can_work_callback(user: User, task: CallbackTask) -> bool:
    """Call back, mark done or hand on a voicemail: the recruiter it waits for, or, while it
    waits for the whole team (no recruiter yet), any recruiter."""
    return user.role == RECRUITER and task.recruiter_id in (None, user.id)


def can_hear_voicemail(user: User, call: Call, task: CallbackTask | None) -> bool:
    """A voicemail's audio: whoever may read the call, and whoever is to call it back."""
    if can_read_call(user, call):
        return True
    return task is not None and can_work_callback(user, task)


# Candidates -------------------------------------------------------------------------------


def visible_candidates(user: User, *, team: bool = False) -> Any:
    """The candidates a user's list shows: a recruiter's own, or the whole team's when they
    ask (to see who is whose); everyone's for auditors and admins."""
    if user.role == RECRUITER and not team:
        return Candidate.owner_id == user.id
    if user.role in (RECRUITER, AUDITOR, ADMIN):
        return true()
    return false()


def can_open_candidate(user: User, candidate: Candidate) -> bool:
    """The candidate's page: the owner, auditors (recorded) and admins (the record only)."""
    if user.role in (AUDITOR, ADMIN):
        return True
    return user.role == RECRUITER and candidate.owner_id == user.id


def can_read_candidate_history(user: User, candidate: Candidate) -> bool:
    """Calls, notes and voicemails on the candidate's page: the owner and auditors only."""
    if user.role == AUDITOR:
        return True
    return user.role == RECRUITER and candidate.owner_id == user.id


def can_edit_candidate(user: User, candidate: Candidate) -> bool:
    """Details, stage, owner and do-not-call (clearing it included): the owner or an admin."""
    if user.role == ADMIN:
        return True
    return user.role == RECRUITER and candidate.owner_id == user.id


def can_call_candidate(user: User, candidate: Candidate) -> bool:
    """The Call button: the owner, while the candidate may be called. (Placing the call
    checks again, with the phones and any call already in progress.)"""
    return user.role == RECRUITER and candidate.owner_id == user.id and not candidate.do_not_call


def can_create_candidates(user: User) -> bool:
    return user.role in (RECRUITER, ADMIN)


def may_own_candidates(user: User | None) -> bool:
    return user is not None and user.role == RECRUITER and bool(user.is_active)


def can_note_candidate(user: User, candidate: Candidate) -> bool:
    return user.role == RECRUITER and candidate.owner_id == user.id
