"""Voicemails awaiting a callback, their audio, and linking a stranger's call to a candidate."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ivr.callflow.events import record_event
from ivr.calllog import record_access
from ivr.db import get_session
from ivr.permissions import can_read_call
from ivr.security import role_required
from ivr.telephony import TelephonyError, gateway
from ivr.web import bp
from ivr.web.forms import ActionForm
from models import Call, CallbackTask, Candidate


@bp.get("/calls/<id:call_id>/recording")
@role_required("recruiter", "auditor")
def call_recording(call_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    call = session.get(Call, call_id)
    if call is None or not call.recording_url or not _can_hear(call):
        abort(404)
    if record_access(session, current_user, "web.recording.play", target=f"call:{call.id}"):
        session.commit()
    try:
        audio = gateway().fetch_recording(call.recording_url)
    except TelephonyError as exc:
        return Response(str(exc), 502, mimetype="text/plain")
    return Response(audio, mimetype="audio/wav", headers={"Cache-Control": "private, no-store"})


def _can_hear(call: Call) -> bool:
    if can_read_call(current_user, call):
        return True
    # A team voicemail (no recruiter yet) is for every recruiter to hear and return.
    task = get_session().scalar(
        select(CallbackTask).where(CallbackTask.voicemail_call_id == call.id)
    )
    return current_user.role == "recruiter" and task is not None and task.recruiter_id is None


@bp.post("/calls/<id:call_id>/attach")
@role_required("recruiter")
def attach_call(call_id: int):  # type: ignore[no-untyped-def]
    """Link an unknown caller's call (and its callback) to one of my candidates."""
    session = get_session()
    call = session.get(Call, call_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if call is None or call.direction != "inbound" or not _can_hear(call):
        abort(404)
    candidate_id = request.form.get("candidate_id", "")
    candidate = session.get(Candidate, int(candidate_id)) if candidate_id.isdigit() else None
    if candidate is None or candidate.owner_id != current_user.id:
        flash("Choose one of your own candidates.", "error")
        return redirect(url_for("web.calls_dashboard"))
    if call.candidate_id is not None:
        flash("That call is already linked to a candidate.", "error")
        return redirect(url_for("web.calls_dashboard"))
    call.candidate_id = candidate.id
    candidate.touch_contact(call.created_at)
    call.recruiter_id = call.recruiter_id or current_user.id
    task = session.scalar(select(CallbackTask).where(CallbackTask.voicemail_call_id == call.id))
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
