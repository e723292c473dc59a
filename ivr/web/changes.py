"""Changes for auditors: who changed a candidate's record (added, stage, owner, do-not-call,
details) or the system (a user, an outcome code), and when. They are chained events like the
calls' (candidate_id, or subject "user:12", "outcome_code:5"); each read of this page is
recorded like every other auditor read."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ivr import calllog, words
from ivr.candidates.timeline import RECORD_KINDS
from ivr.db import get_session
from ivr.security import role_required
from ivr.web import bp
from models import CallEvent, Role, User

CHANGES_PAGE = 50


WHAT = {
    "all": or_(CallEvent.subject.is_not(None), CallEvent.kind.in_(RECORD_KINDS)),
    "candidates": CallEvent.kind.in_(RECORD_KINDS),
    "system": CallEvent.subject.is_not(None),
}


def _subjects(events: list[CallEvent]) -> dict[str, str]:
    """ "user:12" -> the user's current name; "outcome_code:5" -> "outcome code 5"."""
    user_ids = {
        int(event.subject.split(":", 1)[1])
        for event in events
        if event.subject and event.subject.startswith("user:") and event.subject[5:].isdigit()
    }
    names: dict[int, str] = {}
    if user_ids:
        rows = get_session().execute(select(User.id, User.name).where(User.id.in_(user_ids)))
        names = {user_id: name for user_id, name in rows}
    shown: dict[str, str] = {}
    for event in events:
        subject = event.subject or ""
        kind, _, key = subject.partition(":")
        if kind == "user" and key.isdigit():
            shown[subject] = names.get(int(key), f"user {key}")
        elif kind == "outcome_code":
            shown[subject] = f"outcome code {key}"
        else:
            shown[subject] = subject
    return shown


@bp.get("/log/changes")
@role_required(Role.AUDITOR)
def system_changes() -> ResponseReturnValue:
    session = get_session()
    before = request.args.get("before", "")
    before = before if before.isascii() and before.isdigit() and len(before) <= 18 else ""
    what = request.args.get("what", "all")
    what = what if what in WHAT else "all"
    stmt = (
        select(CallEvent)
        .where(WHAT[what])
        .options(selectinload(CallEvent.actor), selectinload(CallEvent.candidate))
        .order_by(CallEvent.seq.desc())
        .limit(CHANGES_PAGE)
    )
    if before:
        stmt = stmt.where(CallEvent.seq < int(before))
    events = list(session.scalars(stmt))
    older = events[-1].seq if len(events) == CHANGES_PAGE else None
    filters = {"before": before} if before else {}
    if what != "all":
        filters["what"] = what
    calllog.record_read(current_user, "web.changes.view", filters=filters)
    return render_template(
        "changes.html",
        events=events,
        subjects=_subjects(events),
        older=older,
        what=what,
        title=words.event_title,
        summary=words.event_summary,
    )
