"""Webhooks of the one-click call: the recruiter's leg, the candidate's dial, the outcome."""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from ivr.callflow import outbound as flow
from ivr.callflow import outcome_call, owed
from ivr.callflow.status import apply_status_callback
from ivr.tasks import enqueue
from ivr.voice.hook import Hook, webhook
from models import Direction, Flow
from twiml import outbound as prompts
from twiml.common import empty


@webhook("/outbound/<id:call_id>/status", call=True, quiet=True)
def outbound_status(hook: Hook) -> VoiceResponse:
    _confirm(hook)
    apply_status_callback(hook.session, hook.call, hook.form)
    _maybe_call_next(hook)
    return empty()


def _confirm(hook: Hook) -> None:
    """Our URL carries our call id, so its first webhook tells a call whose creation timed
    out its CallSid: it was placed after all."""
    sid = hook.form.get("CallSid")
    if sid and hook.call.direction == Direction.OUTBOUND and hook.call.flow != Flow.DIAL_IN:
        flow.confirm_placed(hook.session, hook.call, sid, "webhook")


@webhook("/outbound/<id:call_id>/answer", call=True, direction=Direction.OUTBOUND)
def outbound_answer(hook: Hook) -> VoiceResponse:
    _confirm(hook)
    if not flow.record_recruiter_answered(hook.session, hook.call, hook.form, hook.attempt):
        return prompts.no_longer_callable()
    retry = hook.attempt < flow.MAX_SCREEN_PROMPTS
    return _screening(hook, hook.attempt, hook.url(attempt=hook.attempt + 1) if retry else None)


@webhook("/outbound/<id:call_id>/screen", call=True, direction=Direction.OUTBOUND)
def outbound_screen(hook: Hook) -> VoiceResponse:
    result = flow.screen_recruiter(hook.session, hook.call, hook.form, hook.attempt)
    if result.connect and hook.call.candidate_number:
        return prompts.connect_candidate(
            hook.call.candidate_number,
            caller_id=hook.settings.twilio_phone_number,
            action_url=hook.url("outbound_dial_result"),
            answered_url=hook.url("outbound_candidate_status"),
            machine_url=hook.url("outbound_candidate_answered"),
        )
    if result.retry:
        return _screening(hook, hook.attempt + 1, retry_url=None)
    if "Digits" not in hook.form:
        return prompts.no_key_pressed()
    return prompts.not_connected()


def _screening(hook: Hook, attempt: int, retry_url: str | None) -> VoiceResponse:
    candidate = hook.call.candidate
    return prompts.screening_prompt(
        candidate.name if candidate is not None else None,
        action_url=hook.url("outbound_screen", attempt=attempt),
        retry_url=retry_url,
    )


@webhook("/outbound/<id:call_id>/candidate-answered", call=True, direction=Direction.OUTBOUND)
def outbound_candidate_answered(hook: Hook) -> VoiceResponse:
    """Run on the candidate's leg once it answers, before the bridge (<Number url>), with
    machine detection's AnsweredBy. The first time a machine answers, its leg is hung up: the
    dial's action tells the recruiter and rings the voicemail again for their message."""
    machine = flow.record_answered_by(hook.session, hook.call, hook.form, hook.attempt)
    if machine and hook.attempt == 1:
        return prompts.end_candidate_leg()
    return empty()


@webhook("/outbound/<id:call_id>/dial-result", call=True, direction=Direction.OUTBOUND)
def outbound_dial_result(hook: Hook) -> VoiceResponse:
    dial_status = flow.record_dial_result(hook.session, hook.call, hook.form)
    if flow.ring_back_after_bridge(hook.session, hook.call, hook.form):
        hook.after_commit(enqueue, "ring_back", hook.call.id)
    candidate = hook.call.candidate
    first_name = candidate.first_name if candidate is not None else None
    number = hook.call.candidate_number
    if (
        hook.attempt == 1
        and number
        and flow.reached_machine(hook.session, hook.form)
        and flow.may_connect(hook.session, hook.call)
    ):
        return prompts.voicemail_reached(
            first_name,
            number,
            caller_id=hook.settings.twilio_phone_number,
            action_url=hook.url("outbound_dial_result", attempt=2),
            machine_url=hook.url("outbound_candidate_answered", attempt=2),
        )
    return _outcome_menu(hook, 1, prompts.dial_ending(dial_status, first_name))


@webhook("/outbound/<id:call_id>/candidate-status", call=True, quiet=True)
def outbound_candidate_status(hook: Hook) -> VoiceResponse:
    """The candidate's leg answered: the recruiter's page shows them talking."""
    flow.record_candidate_leg_status(hook.session, hook.call, hook.form)
    return empty()


@webhook("/calls/<id:call_id>/outcome", call=True)
def outbound_outcome(hook: Hook) -> VoiceResponse:
    result = flow.record_outcome(hook.session, hook.call, hook.form, hook.attempt)
    if result.saved is not None:
        _maybe_call_next(hook)
        return prompts.outcome_saved(result.saved.label)
    if not result.retry:
        return prompts.outcome_not_recorded()
    return _outcome_menu(hook, hook.attempt + 1, prompts.outcome_retry(result.heard_nothing))


def _maybe_call_next(hook: Hook) -> None:
    """A Call next run goes on once the outcome is keyed and the recruiter's leg has ended."""
    call = hook.call
    if owed.claim_continuation(hook.session, call) and call.recruiter_id is not None:
        hook.after_commit(enqueue, "call_next", call.recruiter_id, call.id)


def _outcome_menu(hook: Hook, attempt: int, intro: str) -> VoiceResponse:
    url = hook.url("outbound_outcome", attempt=attempt)
    items = flow.outcome_menu_items(hook.session)
    return prompts.outcome_menu(items, action_url=url, retry_url=url, intro=intro)


@webhook("/calls/<id:call_id>/outcome-prompt", call=True)
def outcome_prompt(hook: Hook) -> VoiceResponse:
    """The recruiter answered the call-back that asks for an inbound call's outcome."""
    if not outcome_call.record_answered(hook.session, hook.call, hook.form):
        return prompts.outcome_already_saved()
    candidate = hook.call.candidate
    return _outcome_menu(hook, 1, prompts.call_ended(candidate.name if candidate else None))


@webhook("/calls/<id:call_id>/outcome-call-status", call=True)
def outcome_call_status(hook: Hook) -> VoiceResponse:
    outcome_call.record_call_status(hook.session, hook.call, hook.form)
    return empty()
