"""The recruiter's owed calls on their page: the queue (overdue first), each with why it is
owed, the candidate's local time and a Call button; closing one by hand after the attempts."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ivr import clock, words
from ivr.callflow import owed
from ivr.callflow.window import CallingWindow
from ivr.callnext import start_call_next
from ivr.config import settings
from ivr.db import get_session
from ivr.permissions import can_call_back, can_call_candidate
from ivr.security import role_required
from ivr.web import bp
from ivr.web.calls import answer_placement, own_call_action
from ivr.web.forms import ActionForm
from ivr.web.viewer import viewer_zone
from models import Candidate, OwedCall, Role, User


def queue_for(user: User) -> dict[str, Any]:
    """What the page shows of the recruiter's queue."""
    session = get_session()
    policy = owed.OwedPolicy.from_settings(settings())
    now = clock.now()
    items = owed.open_queue(session, user.id)
    view = owed.sort_queue(items, now, ZoneInfo(viewer_zone()))
    return {"queue": view, "queue_count": len(items), "owed_policy": policy, "owed_now": now}


@bp.app_context_processor
def _owed_rules() -> dict[str, Any]:
    def call_button(item: OwedCall) -> str | None:
        """The one-click call form's action for this item, or None (may not be called)."""
        if item.callback_task is not None and item.candidate is None:
            if can_call_back(current_user, item.callback_task):
                return url_for("web.callback_call", task_id=item.callback_task_id)
            return None
        if item.candidate is not None and can_call_candidate(current_user, item.candidate):
            return url_for("web.call_candidate", candidate_id=item.candidate_id)
        return None

    def their_time(item: OwedCall) -> str:
        if item.candidate is None:
            return ""
        return words.local_time(clock.now(), item.candidate.timezone)

    def window_note(candidate: Candidate | None) -> str | None:
        """Outside the candidate's calling window: when it opens, in both zones."""
        if candidate is None:
            return None
        check = CallingWindow.from_settings(settings()).check(candidate.zone, clock.now())
        if check.opens_at is None:
            return None
        return words.window_closed_note(check.opens_at, candidate.zone, ZoneInfo(viewer_zone()))

    return {
        "calling_window_note": window_note,
        "owed_call_button": call_button,
        "owed_their_time": their_time,
        "owed_may_close": owed.may_close_by_hand,
    }


@bp.post("/owed-calls/<id:owed_id>/close")
@role_required(Role.RECRUITER)
def close_owed_call(owed_id: int) -> ResponseReturnValue:
    """Close an owed call by hand, with a written reason, once the attempts are made."""
    if not ActionForm().validate_on_submit():
        abort(400)
    session = get_session()
    item = session.get(OwedCall, owed_id)
    if item is None or not owed.can_work_item(current_user, item):
        abort(404)
    policy = owed.OwedPolicy.from_settings(settings())
    try:
        owed.close_by_hand(session, item, current_user, request.form.get("reason"), policy)
    except owed.OwedRefused as refused:
        session.rollback()
        if request.accept_mimetypes.best == "application/json":
            body: dict[str, Any] = {"error": refused.reason}
            if refused.field:
                body["field"] = refused.field
            return body, refused.status
        flash(f"Not closed: {refused.reason}.", "error")
        return redirect(url_for("web.calls_dashboard"), 303)
    session.commit()
    if request.accept_mimetypes.best == "application/json":
        return {"id": item.id, "closed_reason": item.closed_reason}
    who = item.candidate.name if item.candidate else "the caller"
    flash(f"The call owed to {who} is closed.", "info")
    return redirect(url_for("web.calls_dashboard"), 303)


@bp.post("/owed-calls/next")
@role_required(Role.RECRUITER)
def call_next() -> ResponseReturnValue:
    """Call next: ring the recruiter for the first owed call; after each outcome, the next."""
    return answer_placement(lambda session: start_call_next(session, current_user))


@bp.post("/calls/<id:call_id>/pause-next")
@role_required(Role.RECRUITER)
def pause_call_next(call_id: int) -> ResponseReturnValue:
    """No next call after this one."""
    session, call = own_call_action(call_id)
    try:
        owed.pause_call_next(session, call, current_user)
    except owed.OwedRefused as refused:
        session.rollback()
        if request.accept_mimetypes.best == "application/json":
            return {"error": refused.reason}, refused.status
        flash(f"Not paused: {refused.reason}.", "error")
        return redirect(url_for("web.calls_dashboard"), 303)
    session.commit()
    if request.accept_mimetypes.best == "application/json":
        return {"id": call.id, "paused": True}
    flash("Call next paused: no call follows this one.", "info")
    return redirect(url_for("web.calls_dashboard"), 303)
