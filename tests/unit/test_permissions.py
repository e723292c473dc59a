"""Who may read or change what, decided from plain objects: no app, no database."""

from __future__ import annotations

import pytest

from ivr.permissions import (
    can_call_back,
    can_correct_outcome,
    can_read_call,
    reads_are_recorded,
)
from models import Call, CallbackTask, Candidate, User

RILEY, SAM, AVA = 1, 2, 3


def user(user_id: int, role: str = "recruiter") -> User:
    return User(id=user_id, name=f"User {user_id}", role=role, is_active=True)


def voicemail(
    task_for: int | None, *, candidate: Candidate | None = None
) -> tuple[Call, CallbackTask]:
    call = Call(id=7, direction="inbound", recruiter_id=RILEY, candidate=candidate)
    return call, CallbackTask(id=9, voicemail_call_id=7, recruiter_id=task_for, candidate=candidate)


@pytest.mark.parametrize(("task_for", "reads"), [(SAM, True), (None, True), (AVA, False)])
def test_a_voicemail_is_read_by_whoever_is_to_call_it_back(task_for, reads):
    call, task = voicemail(task_for)

    assert can_read_call(user(SAM), call, task) is reads
    assert can_read_call(user(SAM), call) is False


def test_a_callback_for_another_call_opens_nothing():
    call, task = voicemail(SAM)
    task.voicemail_call_id = 8

    assert can_read_call(user(SAM), call, task) is False


def test_an_admin_reads_no_voicemail_even_a_team_one():
    call, task = voicemail(None)

    assert can_read_call(user(AVA, "admin"), call, task) is False


@pytest.mark.parametrize(
    ("who", "corrects"),
    [(user(RILEY), True), (user(SAM), False), (user(RILEY + 10, "auditor"), False)],
)
def test_only_the_calls_own_recruiter_corrects_its_outcome(who, corrects):
    call = Call(id=7, direction="outbound", recruiter_id=RILEY)

    assert can_correct_outcome(who, call) is corrects


@pytest.mark.parametrize(
    ("owner", "do_not_call", "shown"),
    [(SAM, False, True), (SAM, True, False), (RILEY, False, False)],
)
def test_call_back_is_offered_for_my_own_candidate_who_may_be_called(owner, do_not_call, shown):
    jane = Candidate(id=5, name="Jane Doe", owner_id=owner, do_not_call=do_not_call)
    _call, task = voicemail(SAM, candidate=jane)

    assert can_call_back(user(SAM), task) is shown


@pytest.mark.parametrize(("number", "shown"), [("+15005559999", True), (None, False)])
def test_call_back_is_offered_for_a_stranger_who_left_a_number(number, shown):
    _call, task = voicemail(None)
    task.caller_number = number

    assert can_call_back(user(SAM), task) is shown


@pytest.mark.parametrize(("role", "recorded"), [("auditor", True), ("recruiter", False)])
def test_only_an_auditors_reads_are_recorded(role, recorded):
    assert reads_are_recorded(user(AVA, role)) is recorded
