"""Webhooks of the recruiter line: the PIN prompt's answer, the code prompt's and the
callbacks menu's."""

from __future__ import annotations

from typing import assert_never

from twilio.twiml.voice_response import VoiceResponse

from ivr import clock
from ivr.callflow import dial_in as flow
from ivr.callflow.window import CallingWindow
from ivr.voice.hook import Hook, webhook
from models import Flow
from twiml import dial_in as prompts
from twiml.outbound import connect_candidate


@webhook("/dial-in/<id:call_id>/pin", call=True, flow=Flow.DIAL_IN)
def dial_in_pin(hook: Hook) -> VoiceResponse:
    return answer(hook, flow.enter_pin(hook.session, hook.call, hook.form, hook.attempt))


@webhook("/dial-in/<id:call_id>/code", call=True, flow=Flow.DIAL_IN)
def dial_in_code(hook: Hook) -> VoiceResponse:
    window = CallingWindow.from_settings(hook.settings)
    return answer(
        hook,
        flow.enter_code(hook.session, hook.call, hook.form, hook.attempt, clock.now(), window),
    )


@webhook("/dial-in/<id:call_id>/callback-choice", call=True, flow=Flow.DIAL_IN)
def dial_in_callback_choice(hook: Hook) -> VoiceResponse:
    window = CallingWindow.from_settings(hook.settings)
    return answer(
        hook,
        flow.choose_callback(hook.session, hook.call, hook.form, hook.task_id, clock.now(), window),
    )


def answer(hook: Hook, step: flow.Step) -> VoiceResponse:
    """A step of the recruiter line as TwiML; also the first answer to a recruiter calling in."""
    match step:
        case flow.AskForPin(attempt=attempt, note=note):
            return prompts.pin_prompt(
                action_url=hook.url("dial_in_pin", attempt=attempt),
                retry_url=hook.url("dial_in_pin", attempt=attempt + 1) if step.may_retry else None,
                intro=note,
            )
        case flow.AskForCode(attempt=attempt, note=note):
            recruiter = hook.call.recruiter
            assert recruiter is not None  # the recruiter line is only ever a recruiter's call
            return prompts.code_prompt(
                recruiter.first_name,
                action_url=hook.url("dial_in_code", attempt=attempt),
                retry_url=hook.url("dial_in_code", attempt=attempt + 1) if step.may_retry else None,
                intro=note,
            )
        case flow.Connect(number=number, note=note):
            return connect_candidate(
                number,
                caller_id=hook.settings.twilio_phone_number,
                action_url=hook.url("outbound_dial_result"),
                announce=prompts.note(note),
                machine_url=hook.url("outbound_candidate_answered"),
            )
        case flow.CallbacksMenu(entries=entries):
            return prompts.callbacks_menu(
                entries,
                action_url=hook.url("dial_in_callback_choice", task=step.first_task_id),
                codes_url=hook.url("dial_in_code", attempt=1),
            )
        case flow.HangUp(note=note):
            return prompts.hang_up(note)
        case _:
            assert_never(step)
