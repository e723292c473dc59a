"""Webhooks for calls to the company number: candidates, recruiters dialling in, strangers."""

from __future__ import annotations

from typing import assert_never

from twilio.twiml.voice_response import VoiceResponse

from ivr import clock
from ivr.callflow import inbound as flow
from ivr.callflow import outcome_call
from ivr.callflow.dial_in import open_line
from ivr.callflow.hours import BusinessHours
from ivr.callflow.status import apply_status_callback
from ivr.tasks import enqueue
from ivr.voice import dial_in
from ivr.voice.hook import Hook, webhook
from models import User
from twiml import inbound as prompts
from twiml.common import empty


@webhook("/incoming")
def incoming(hook: Hook) -> VoiceResponse:
    caller = flow.identify_caller(hook.session, hook.form.get("From", ""))
    hook.call, _created = flow.open_inbound_call(
        hook.session, hook.form, caller, hook.settings.twilio_phone_number
    )
    hours = BusinessHours.from_settings(hook.settings)
    return answer(hook, flow.route_inbound(hook.session, hook.call, caller, hours, clock.now()))


@webhook("/inbound/<id:call_id>/choice", call=True)
def inbound_choice(hook: Hook) -> VoiceResponse:
    return answer(hook, flow.route_choice(hook.session, hook.call, hook.form))


@webhook("/inbound/<id:call_id>/hunt-result", call=True)
def inbound_hunt_result(hook: Hook) -> VoiceResponse:
    step = flow.after_hunt_leg(hook.session, hook.call, hook.form, hook.index, hook.recruiter_id)
    return answer(hook, step)


@webhook("/inbound/<id:call_id>/whisper", call=True)
def inbound_whisper(hook: Hook) -> VoiceResponse:
    said = flow.record_whisper(hook.session, hook.call, hook.form, hook.recruiter_id)
    return prompts.whisper(
        said.candidate_name,
        about_offer=said.about_offer,
        action_url=hook.url("inbound_whisper_answer", r=hook.recruiter_id),
    )


@webhook("/inbound/<id:call_id>/whisper-answer", call=True)
def inbound_whisper_answer(hook: Hook) -> VoiceResponse:
    recruiter = hook.find(User, hook.recruiter_id)
    accepted = flow.accept_whisper(hook.session, hook.call, hook.form, recruiter)
    return prompts.bridge() if accepted else prompts.hang_up()


@webhook("/inbound/<id:call_id>/voicemail", call=True)
def inbound_voicemail(hook: Hook) -> VoiceResponse:
    flow.record_voicemail(hook.session, hook.call, hook.form)
    hours = BusinessHours.from_settings(hook.settings)
    return prompts.voicemail_thanks(flow.callback_promise(hours, clock.now()))


@webhook("/inbound/<id:call_id>/recording", call=True)
def inbound_recording(hook: Hook) -> VoiceResponse:
    flow.record_recording_status(hook.session, hook.call, hook.form)
    return empty()


@webhook("/status", call="sid", quiet=True)
def number_status(hook: Hook) -> VoiceResponse:
    """The phone number's status callback: every call to the company number ends here."""
    apply_status_callback(hook.session, hook.call, hook.form)
    if outcome_call.request_when_ended(hook.session, hook.call):
        hook.after_commit(enqueue, "ring_back", hook.call.id)
    return empty()


def answer(hook: Hook, route: flow.Route) -> VoiceResponse:
    """Where the call goes, as TwiML."""
    match route:
        case flow.DialIn():
            return dial_in.answer(hook, open_line(hook.session, hook.call, hook.form))
        case flow.Closed(hours=hours, zone=zone, promise=promise):
            company = hook.settings.company_name
            return _voicemail(hook, prompts.after_hours(company, hours, zone, promise))
        case flow.OfferMenu(first_name=first_name):
            return prompts.offer_menu(first_name, hook.url("inbound_choice"))
        case flow.UnknownCallerMenu():
            return prompts.unknown_caller_menu(
                hook.settings.company_name, hook.url("inbound_choice")
            )
        case flow.RingRecruiter(recruiter=recruiter, index=index):
            return prompts.ring_recruiter(
                recruiter.phone or "",
                caller_id=hook.settings.twilio_phone_number,
                whisper_url=hook.url("inbound_whisper", r=recruiter.id),
                action_url=hook.url("inbound_hunt_result", i=index, r=recruiter.id),
                greeting=route.greeting,
                first_name=route.first_name,
            )
        case flow.Voicemail(reason=reason, who=who):
            return _voicemail(hook, prompts.voicemail_intro(reason, who))
        case flow.Bridged(ring_back=ring_back):
            if ring_back:
                hook.after_commit(enqueue, "ring_back", hook.call.id)
            return prompts.thanks_for_calling()
        case flow.CallerGone():
            return empty()
        case _:
            assert_never(route)


def _voicemail(hook: Hook, intro: str) -> VoiceResponse:
    return prompts.voicemail_prompt(
        intro,
        action_url=hook.url("inbound_voicemail"),
        recording_callback_url=hook.url("inbound_recording"),
    )
