"""The call log for auditors (every call) and recruiters (their own): filter, page, open a
call's timeline, export CSV. Every auditor read is recorded."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ivr import calllog
from ivr.callflow import owed
from ivr.callflow.callbacks import callback_for
from ivr.callflow.corrections import CorrectionRefused, correct_outcome
from ivr.callflow.outbound import OutcomeRefused, key_outcome_on_page
from ivr.candidates.records import CandidateError, add_note
from ivr.db import get_session
from ivr.permissions import (
    call_log_recruiters,
    can_correct_outcome,
    can_hang_up,
    can_note_call,
)
from ivr.security import role_required
from ivr.serialize import iso
from ivr.tasks import enqueue
from ivr.web import bp
from ivr.web.forms import ActionForm
from ivr.web.viewer import when
from models import Call, CallEvent, OutcomeCode, Role, User
from models.outcome import active_outcomes

READERS = (Role.RECRUITER, Role.AUDITOR)


def _filter_choices() -> dict[str, object]:
    session = get_session()
    recruiters = session.scalars(
        select(User)
        .where(User.role == Role.RECRUITER, call_log_recruiters(current_user))
        .order_by(User.name)
    ).all()
    return {
        "recruiters": recruiters,
        "statuses": calllog.STATUSES,
        "outcomes": session.scalars(select(OutcomeCode).order_by(OutcomeCode.digit)).all(),
    }


@bp.get("/log")
@role_required(*READERS)
def call_log() -> ResponseReturnValue:
    session = get_session()
    try:
        flt = calllog.CallFilter.from_args(request.args)
        limit = calllog.parse_limit(request.args.get("limit"))
        page = calllog.page_of_calls(session, current_user, flt, request.args.get("cursor"), limit)
    except calllog.FilterError as bad:
        return (
            render_template(
                "log.html",
                error=str(bad),
                args=request.args,
                page=None,
                flt=None,
                **_filter_choices(),
            ),
            400,
        )
    calllog.record_read(current_user, "web.log.view", filters=flt.as_args())
    return render_template(
        "log.html", error=None, args=request.args, page=page, flt=flt, **_filter_choices()
    )


@bp.get("/log.csv")
@role_required(*READERS)
def call_log_csv() -> ResponseReturnValue:
    return calllog.csv_response(current_user, request.args, "web.log.export")


def _readable_call(call_id: int, *, callbacks: bool = False) -> Call:
    call = calllog.readable_call(get_session(), current_user, call_id, callbacks=callbacks)
    if call is None:
        abort(404)
    return call


@bp.get("/calls/<id:call_id>")
@role_required(*READERS)
def call_detail(call_id: int) -> ResponseReturnValue:
    session = get_session()
    # A voicemail opens for whoever is to call it back, as its recording plays for them.
    call = _readable_call(call_id, callbacks=True)
    events = session.scalars(
        select(CallEvent)
        .where(CallEvent.call_id == call.id)
        .options(selectinload(CallEvent.actor))
        .order_by(CallEvent.seq)
    ).all()
    task = callback_for(session, call)
    calllog.record_read(current_user, "web.call.view", target=f"call:{call.id}")
    can_correct = can_correct_outcome(current_user, call) and not call.is_active
    return render_template(
        "call_detail.html",
        call=call,
        events=events,
        task=task,
        can_correct=can_correct,
        can_note=can_note_call(current_user, call),
        can_hang_up=can_hang_up(current_user, call),
        outcomes=active_outcomes(session) if can_correct else [],
        form=ActionForm(),
    )


@bp.post("/calls/<id:call_id>/notes")
@role_required(Role.RECRUITER)
def add_call_note(call_id: int) -> ResponseReturnValue:
    """A recruiter's note on a call: appended to its timeline, never edited."""
    wants_json = request.accept_mimetypes.best == "application/json"
    if not ActionForm().validate_on_submit():
        if wants_json:
            return {"error": "the form expired; reload the page"}, 400
        abort(400)
    session = get_session()
    call = _readable_call(call_id)
    try:
        event = add_note(session, current_user, request.form.get("text"), call=call)
    except CandidateError as refused:
        session.rollback()
        if wants_json:
            body = {"error": refused.reason}
            if refused.field:
                body["field"] = refused.field
            return body, refused.status
        flash(f"Note not added: {refused.reason}.", "error")
        return redirect(url_for("web.call_detail", call_id=call_id)), 303
    session.commit()
    if wants_json:
        return {
            "id": event.id,
            "call_id": call.id,
            "text": event.detail["text"],
            "at": iso(event.created_at),
            "at_text": when(event.created_at),
            "author": current_user.name,
        }, 201
    flash("Note added.", "info")
    return redirect(url_for("web.call_detail", call_id=call_id)), 303


@bp.post("/calls/<id:call_id>/outcome-corrections")
@role_required(Role.RECRUITER)
def correct_call_outcome(call_id: int) -> ResponseReturnValue:
    """Change a saved outcome, saying why (the original stays in the timeline)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    session = get_session()
    call = _readable_call(call_id)
    try:
        correct_outcome(
            session, call, current_user, request.form.get("digit"), request.form.get("reason")
        )
    except CorrectionRefused as refused:
        session.rollback()
        flash(f"Outcome not corrected: {refused.reason}.", "error")
        return redirect(url_for("web.call_detail", call_id=call_id)), 303
    session.commit()
    flash("Outcome corrected; the original stays in the timeline.", "info")
    return redirect(url_for("web.call_detail", call_id=call_id)), 303


@bp.post("/calls/<id:call_id>/outcome")
@role_required(Role.RECRUITER)
def key_call_outcome(call_id: int) -> ResponseReturnValue:
    """Key in the outcome of a call that ended before the menu: same codes, same effects."""
    if not ActionForm().validate_on_submit():
        abort(400)
    session = get_session()
    call = _readable_call(call_id)
    try:
        code = key_outcome_on_page(session, call, current_user, request.form.get("digit"))
    except OutcomeRefused as refused:
        session.rollback()
        flash(f"Outcome not saved: {refused.reason}.", "error")
        return redirect(url_for("web.call_detail", call_id=call_id)), 303
    go_on = owed.claim_continuation(session, call)  # a Call next run goes on
    session.commit()
    if go_on:
        enqueue("call_next", current_user.id, call.id)  # the worker rings the next one
    flash(f"Saved: {code.label}.", "info")
    return redirect(url_for("web.call_detail", call_id=call_id)), 303
