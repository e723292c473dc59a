"""Voicemails awaiting a callback: the list (polled live), their audio, calling back (a
candidate or an unknown caller), marking done, handing on, and linking a stranger's call to
a candidate."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ivr import calllog, words
from ivr.callflow import callbacks as work
from ivr.callflow.callbacks import callback_for, open_callbacks
from ivr.callflow.events import record_event
from ivr.db import get_session
from ivr.keyset import whole_number
from ivr.permissions import can_call_back, can_work_callback, owns_candidate
from ivr.placement import place_callback_call
from ivr.security import role_required
from ivr.serialize import iso
from ivr.telephony import TelephonyError, gateway
from ivr.web import bp
from ivr.web.calls import answer_placement, other_recruiters, own_candidates, window_override
from ivr.web.forms import ActionForm
from ivr.web.viewer import when
from models import CallbackTask, Candidate, Direction, Role, User
from models.base import MAX_ID


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.app_context_processor
def _callback_rules() -> dict[str, Any]:
    """For the callback list item: whether its Call back button shows."""
    return {"can_call_back": lambda task: can_call_back(current_user, task)}


def callback_json(task: CallbackTask, html: str) -> dict[str, Any]:
    return {
        "id": task.id,
        "voicemail_call_id": task.voicemail_call_id,
        "candidate_id": task.candidate_id,
        "caller": words.callback_caller(task),
        "reason": task.reason,
        "reason_text": words.callback_reason(task.reason),
        "recruiter_id": task.recruiter_id,
        "team": task.recruiter_id is None,
        "created_at": iso(task.created_at),
        "created_at_text": when(task.created_at),
        "html": html,
    }


@bp.get("/callbacks.json")
@role_required(Role.RECRUITER)
def callbacks_json() -> ResponseReturnValue:
    """The recruiter's open callbacks and the team's unassigned ones, oldest first, each with
    its list item as the dashboard renders it, so a new voicemail appears without a reload."""
    session = get_session()
    tasks = open_callbacks(session, current_user)
    candidates = own_candidates(session, current_user)
    recruiters = other_recruiters(session, current_user)
    items = [
        callback_json(
            task,
            render_template(
                "_callback_item.html", task=task, candidates=candidates, recruiters=recruiters
            ),
        )
        for task in tasks
    ]
    return {"callbacks": items, "heading": words.callbacks_waiting(len(items))}


def _task(task_id: int) -> CallbackTask:
    """A callback this recruiter may work; another's is as good as absent."""
    task = get_session().get(CallbackTask, task_id)
    if task is None or not can_work_callback(current_user, task):
        abort(404)
    return task


def _answer(
    message: str, *, refused: work.CallbackRefused | None = None, **body: Any
) -> ResponseReturnValue:
    """JSON for the page's scripts, else a flash and back to the dashboard."""
    if _wants_json():
        if refused is None:
            return body, 200
        error: dict[str, Any] = {"error": refused.reason}
        if refused.field:
            error["field"] = refused.field
        return error, refused.status
    flash(message, "error" if refused else "info")
    return redirect(url_for("web.calls_dashboard"), 303)


@bp.post("/callbacks/<id:task_id>/done")
@role_required(Role.RECRUITER)
def callback_done(task_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    session = get_session()
    task = _task(task_id)
    try:
        work.mark_done(session, task, current_user, request.form.get("reason"))
    except work.CallbackRefused as refused:
        session.rollback()
        return _answer(f"Callback not changed: {refused.reason}.", refused=refused)
    session.commit()
    return _answer(
        f"Callback to {words.callback_caller(task)} marked done.", id=task.id, status=task.status
    )


@bp.post("/callbacks/<id:task_id>/reassign")
@role_required(Role.RECRUITER)
def callback_reassign(task_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    session = get_session()
    task = _task(task_id)
    raw = request.form.get("recruiter_id", "")
    to_id = whole_number(raw, 1, MAX_ID)
    to = session.get(User, to_id) if to_id is not None else None
    try:
        work.reassign(session, task, current_user, to, request.form.get("reason"))
    except work.CallbackRefused as refused:
        session.rollback()
        return _answer(f"Callback not reassigned: {refused.reason}.", refused=refused)
    session.commit()
    assert to is not None
    return _answer(
        f"Callback to {words.callback_caller(task)} handed to {to.name}.",
        id=task.id,
        recruiter_id=task.recruiter_id,
    )


@bp.post("/callbacks/<id:task_id>/call")
@role_required(Role.RECRUITER)
def callback_call(task_id: int) -> ResponseReturnValue:
    """One click to call back whoever left the voicemail, known candidate or not."""
    task = _task(task_id)
    return answer_placement(
        lambda session: place_callback_call(session, current_user, task, override=window_override())
    )


@bp.get("/calls/<id:call_id>/recording")
@role_required(Role.RECRUITER, Role.AUDITOR)
def call_recording(call_id: int) -> ResponseReturnValue:
    # A team voicemail, or one handed to me, is mine to hear and return.
    call = calllog.readable_call(get_session(), current_user, call_id, callbacks=True)
    if call is None or not call.recording_url:
        abort(404)
    calllog.record_read(current_user, "web.recording.play", target=f"call:{call.id}")
    try:
        audio = gateway().fetch_recording(call.recording_url)
    except TelephonyError as exc:
        return Response(str(exc), 502, mimetype="text/plain")
    return Response(audio, mimetype="audio/wav", headers={"Cache-Control": "private, no-store"})


@bp.post("/calls/<id:call_id>/attach")
@role_required(Role.RECRUITER)
def attach_call(call_id: int) -> ResponseReturnValue:
    """Link an unknown caller's call (and its callback) to one of my candidates."""
    session = get_session()
    call = calllog.readable_call(session, current_user, call_id, callbacks=True)
    if not ActionForm().validate_on_submit():
        abort(400)
    if call is None or call.direction != Direction.INBOUND:
        abort(404)
    candidate_id = whole_number(request.form.get("candidate_id"), 1, MAX_ID)
    candidate = session.get(Candidate, candidate_id) if candidate_id is not None else None
    if candidate is None or not owns_candidate(current_user, candidate):
        flash("Choose one of your own candidates.", "error")
        return redirect(url_for("web.calls_dashboard"))
    if call.candidate_id is not None:
        flash("That call is already linked to a candidate.", "error")
        return redirect(url_for("web.calls_dashboard"))
    call.candidate_id = candidate.id
    candidate.touch_contact(call.created_at)
    call.recruiter_id = call.recruiter_id or current_user.id
    task = callback_for(session, call)
    if task is not None:
        task.candidate_id = candidate.id
        task.recruiter_id = task.recruiter_id or current_user.id
    record_event(
        session,
        call,
        "call.attached",
        source="user",
        actor=current_user,
        detail={"candidate_id": candidate.id},
    )
    session.commit()
    flash(f"Call linked to {candidate.name}.", "info")
    return redirect(url_for("web.calls_dashboard"))
