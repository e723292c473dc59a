"""The recruiter's page: candidates, a Call button, the live call and every call's outcome."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ivr import calllog, words
from ivr.callflow import owed, window
from ivr.callflow.callbacks import open_callbacks
from ivr.callflow.events import record_event
from ivr.callflow.outbound import CallRefused
from ivr.callflow.presence import live_call_for
from ivr.db import get_session
from ivr.permissions import (
    callback_recipients,
    can_hang_up,
    can_open_candidate,
    visible_candidates,
)
from ivr.placement import place_outbound_call
from ivr.security import role_required
from ivr.serialize import call_json
from ivr.tasks import enqueue
from ivr.web import bp
from ivr.web.forms import ActionForm
from ivr.web.viewer import when
from models import Call, Candidate, Role, User

HISTORY_ON_DASHBOARD = 5


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def live_json(call: Call) -> dict[str, object]:
    """The call as the live panel reads it: the API's shape plus what this page needs to
    show it without inventing a word (times in the viewer's zone, links)."""
    data = call_json(call)
    data["created_at_text"] = when(call.created_at)
    data["status_line"] = words.status_line(call)
    data["heading"] = words.call_heading(call)
    data["is_live"] = call.is_active
    data["recruiter_name"] = call.recruiter.name if call.recruiter else None
    data["call_url"] = url_for("web.call_detail", call_id=call.id)
    data["notes_url"] = url_for("web.add_call_note", call_id=call.id)
    # Call next: a page following this call waits for, then follows, the next one.
    run = owed.next_state(get_session(), call)
    data["call_next"] = run.in_run
    data["call_next_pending"] = run.pending
    data["next_call_id"] = run.next_call_id
    data["pause_next_url"] = url_for("web.pause_call_next", call_id=call.id)
    data["history_url"] = history_url(call)
    data["hang_up_url"] = (
        url_for("web.hang_up_call", call_id=call.id) if can_hang_up(current_user, call) else None
    )
    return data


def history_url(call: Call) -> str | None:
    """Where the viewer reads the other party's calls: their own candidate's page, else the
    call log of that candidate (what the viewer may read of it); none for a stranger."""
    candidate = call.candidate
    if candidate is None:
        return None
    if can_open_candidate(current_user, candidate):
        return url_for("web.candidate_detail", candidate_id=candidate.id)
    return url_for("web.call_log", candidate_id=candidate.id)


def own_call_action(call_id: int) -> tuple[Session, Call]:
    """A button on the recruiter's own call: the form's CSRF token checked (400), and a call
    that is not theirs is one that does not exist (404)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    session = get_session()
    call = session.get(Call, call_id)
    if call is None or call.recruiter_id != current_user.id:
        abort(404)
    return session, call


@bp.post("/calls/<id:call_id>/hang-up")
@role_required(Role.RECRUITER)
def hang_up_call(call_id: int) -> ResponseReturnValue:
    """End the recruiter's own live call: the REST request is a queued task, not this one."""
    session, call = own_call_action(call_id)
    back = redirect(request.referrer or url_for("web.calls_dashboard"), 303)
    if not can_hang_up(current_user, call):
        flash("This call has already ended.", "info")
        return back
    record_event(session, call, "call.hang_up_requested", source="user", actor=current_user)
    session.commit()
    enqueue("hang_up", call.id)
    flash("Ending the call.", "info")
    return back


def other_recruiters(session: Session, user: User) -> list[User]:
    """Whom a callback can be handed to: every other active recruiter."""
    return list(session.scalars(select(User).where(callback_recipients(user)).order_by(User.name)))


def own_candidates(session: Session, user: User) -> list[Candidate]:
    """The recruiter's own candidates, by name."""
    return list(
        session.scalars(select(Candidate).where(visible_candidates(user)).order_by(Candidate.name))
    )


@bp.get("/calls")
@role_required(Role.RECRUITER)
def calls_dashboard() -> ResponseReturnValue:
    session = get_session()
    candidates = own_candidates(session, current_user)
    history: dict[int, list[Call]] = defaultdict(list)
    if candidates:
        calls = session.scalars(
            select(Call)
            .where(Call.candidate_id.in_([c.id for c in candidates]))
            .options(selectinload(Call.outcome), selectinload(Call.recruiter))
            .order_by(Call.id.desc())
        )
        for call in calls:
            if len(history[call.candidate_id or 0]) < HISTORY_ON_DASHBOARD:
                history[call.candidate_id or 0].append(call)
    from ivr.web.owed import queue_for  # ivr.web.owed builds on this module

    live = live_call_for(session, current_user)
    return render_template(
        "dashboard.html",
        **queue_for(current_user),
        candidates=candidates,
        history=history,
        live=live,
        live_history=history_url(live) if live is not None else None,
        callbacks=open_callbacks(session, current_user),
        recruiters=other_recruiters(session, current_user),
    )


@bp.post("/candidates/<id:candidate_id>/call")
@role_required(Role.RECRUITER)
def call_candidate(candidate_id: int) -> ResponseReturnValue:
    return answer_placement(
        lambda session: place_outbound_call(
            session, current_user, candidate_id, override=window_override()
        )
    )


def window_override() -> str | None:
    """The reason typed for calling outside the candidate's calling window, if any."""
    try:
        return window.parse_override(request.form.get("override_reason"))
    except ValueError as bad:
        raise CallRefused(str(bad), 400) from None


def answer_placement(place: Callable[[Session], Call]) -> ResponseReturnValue:
    """A Call button pressed: place the call, then answer the page's fetch (JSON) or the
    plain form (a redirect to the dashboard, with what happened in a flash)."""
    if not ActionForm().validate_on_submit():
        if _wants_json():
            return {"error": "the form expired; reload the page"}, 400
        abort(400)
    try:
        call = place(get_session())
    except CallRefused as refused:
        if _wants_json():
            return {"error": refused.reason}, refused.status
        flash(f"Call not placed: {refused.reason}.", "error")
        return redirect(url_for("web.calls_dashboard"))
    if call.unconfirmed:
        if _wants_json():
            return live_json(call) | {"notice": words.CHECKING_PLACEMENT}, 202
        flash(words.CHECKING_PLACEMENT, "info")
        return redirect(url_for("web.calls_dashboard"))
    if _wants_json():
        return live_json(call), 201
    flash("Ringing your phone now.", "info")
    return redirect(url_for("web.calls_dashboard"))


@bp.get("/calls/live.json")
@role_required(Role.RECRUITER)
def live_call() -> ResponseReturnValue:
    """The call holding my line now, whichever flow it is (an inbound call I took, a dial-in,
    a one-click call), so the live panel shows a call it did not place; null when none."""
    call = live_call_for(get_session(), current_user)
    return {"call": live_json(call) if call is not None else None}


@bp.get("/calls/<id:call_id>.json")
@role_required(Role.RECRUITER, Role.AUDITOR)
def call_status(call_id: int) -> ResponseReturnValue:
    call = calllog.readable_call(get_session(), current_user, call_id)
    if call is None:
        return {"error": "no such call"}, 404
    # An auditor's read of a call is recorded here as on every other read path.
    calllog.record_read(current_user, "web.call.json", target=f"call:{call.id}")
    return live_json(call)
