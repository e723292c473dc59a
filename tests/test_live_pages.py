"""Issue 9, the pages a recruiter reads while working: the call page in plain words and the
viewer's own time, the live panel's states (the same words live and after a reload), notes
on calls, and the callback list (live, done by hand, handed on)."""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from models import Call, CallbackTask, CallEvent
from models.chain import verify_chain
from tests.fixtures.twilio import COMPANY_NUMBER

PARENT_SID = "CA" + "a" * 32
CHILD_SID = "CA" + "b" * 32
STRANGER = "+15005559999"


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if not self._skip:
            self.parts.append(data)


def visible_text(page: str) -> str:
    """What a reader sees: the page's text, without tags or attribute values."""
    parser = _Text()
    parser.feed(page)
    return " ".join(" ".join(parser.parts).split())


def element_text(page: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', page, re.S)
    assert match, f"no #{element_id} on the page"
    return html.unescape(match.group(1)).strip()


def signed_in(app, user):  # type: ignore[no-untyped-def]
    """A test client signed in as `user` whose form posts carry the session's CSRF token."""
    client = app.test_client()
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = str(user.id)
        flask_session["_fresh"] = True
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").text)
    assert token
    post = client.post

    def post_form(url, data=None, **kwargs):  # type: ignore[no-untyped-def]
        return post(url, data={"csrf_token": token.group(1), **(data or {})}, **kwargs)

    client.post = post_form  # type: ignore[method-assign]
    return client


def events_of(session, call_id: int) -> list[CallEvent]:
    session.expire_all()
    return list(
        session.scalars(
            select(CallEvent).where(CallEvent.call_id == call_id).order_by(CallEvent.seq)
        )
    )


@pytest.fixture
def riley(make_user):  # type: ignore[no-untyped-def]
    return make_user(name="Riley Recruiter", phone="+15005550101", timezone="America/New_York")


@pytest.fixture
def jane(make_candidate, riley):  # type: ignore[no-untyped-def]
    return make_candidate(owner=riley, name="Jane Doe", phone="+15005550201")


def make_call(session, recruiter, candidate, **fields):  # type: ignore[no-untyped-def]
    values = {
        "direction": "outbound",
        "recruiter_id": recruiter.id,
        "candidate_id": candidate.id if candidate else None,
        "company_number": COMPANY_NUMBER,
        "recruiter_number": recruiter.phone,
        "candidate_number": candidate.phone if candidate else STRANGER,
        "status": "completed",
        **fields,
    }
    call = Call(**values)
    session.add(call)
    session.commit()
    return call


# The call page -------------------------------------------------------------------------------


def test_call_page_speaks_in_words_at_the_second_in_the_viewers_timezone(app, session, riley, jane):
    started = datetime(2026, 11, 20, 14, 5, 6, 123456, tzinfo=UTC)
    call = make_call(session, riley, jane, created_at=started, disposition="candidate-no-answer")
    session.add_all([
        CallEvent(call_id=call.id, kind="twilio.dial_result", source="twilio", created_at=started,
                  payload={"DialCallStatus": "no-answer", "CallSid": PARENT_SID},
                  detail={"dial_status": "no-answer", "disposition": "candidate-no-answer"}),
        CallEvent(call_id=call.id, kind="outcome.corrected", source="user", actor_id=riley.id,
                  created_at=started,
                  detail={"from": {"digit": "7", "label": "no answer"},
                          "to": {"digit": "8", "label": "call back later"}, "reason": "typo"}),
    ])  # fmt: skip
    session.commit()

    page = signed_in(app, riley).get(f"/calls/{call.id}").text

    text = visible_text(page)
    assert "Started 2026-11-20 09:05:06 EST" in text
    assert "2026-11-20 09:05:06 EST Candidate leg ended candidate did not answer" in text
    assert "Outcome corrected no answer → call back later (typo) by Riley Recruiter" in text
    assert "As Twilio sent it" in text
    assert "DialCallStatus: no-answer" in text
    assert "{'" not in text
    assert "123456" not in page
    assert "twilio.dial_result" not in text
    assert "outcome.corrected" not in text
    assert "candidate-no-answer" not in text


def test_call_page_falls_back_to_the_business_timezone(app, session, make_user, jane, riley):
    app.config["IVR_SETTINGS"] = replace(app.config["IVR_SETTINGS"], timezone="Europe/London")
    auditor = make_user("auditor", timezone=None)
    call = make_call(session, riley, jane, created_at=datetime(2026, 7, 1, 8, 0, 1, tzinfo=UTC))

    page = signed_in(app, auditor).get(f"/calls/{call.id}").text

    assert element_text(page, "call-started") == "2026-07-01 09:00:01 BST"


# The live panel, stage by stage ----------------------------------------------------------------


def leg(**params: str) -> dict[str, str]:
    return {"CallSid": PARENT_SID, "From": COMPANY_NUMBER, "To": "+15005550101",
            "Direction": "outbound-api", "CallStatus": "in-progress", **params}  # fmt: skip


def live_words(app, riley, call_id: int) -> tuple[str, str]:
    """What the panel says: from the JSON it polls, and from the page as it loads."""
    client = signed_in(app, riley)
    polled = client.get(f"/calls/{call_id}.json").json["live_state"]["text"]
    loaded = element_text(client.get("/calls").text, "call-status")
    return polled, loaded


def test_the_live_panel_says_where_a_one_click_call_is_in_the_recruiters_words(
    app, session, twilio_post, riley, jane
):
    call = make_call(session, riley, jane, status="queued", parent_sid=PARENT_SID,
                     active_recruiter_id=riley.id)  # fmt: skip
    status = f"/voice/outbound/{call.id}/status"
    steps = [
        (status, leg(CallStatus="ringing", SequenceNumber="1")),
        (f"/voice/outbound/{call.id}/answer", leg()),
        (f"/voice/outbound/{call.id}/screen?attempt=1", leg(Digits="1")),
        (f"/voice/outbound/{call.id}/candidate-status",
         {"CallSid": CHILD_SID, "ParentCallSid": PARENT_SID, "CallStatus": "in-progress",
          "SequenceNumber": "0"}),
        (f"/voice/outbound/{call.id}/dial-result",
         leg(DialCallStatus="completed", DialCallSid=CHILD_SID, DialCallDuration="42")),
        (f"/voice/calls/{call.id}/outcome?attempt=1", leg(Digits="1")),
    ]  # fmt: skip
    said = [live_words(app, riley, call.id)]

    for path, params in steps:
        assert twilio_post(path, params).status_code == 200
        said.append(live_words(app, riley, call.id))

    assert said == [
        ("Ringing your phone", "Ringing your phone"),
        ("Ringing your phone", "Ringing your phone"),
        ("Waiting for you to press 1", "Waiting for you to press 1"),
        ("Ringing Jane", "Ringing Jane"),
        ("Talking with Jane", "Talking with Jane"),
        ("Key in the outcome on your phone", "Key in the outcome on your phone"),
        ("Outcome saved: interview scheduled", "Outcome saved: interview scheduled"),
    ]


@pytest.mark.parametrize(
    ("dial_status", "said"),
    [
        ("no-answer", "Call ended: Jane did not answer"),
        ("busy", "Call ended: Jane's line was busy"),
        ("completed", "Call ended: no outcome was keyed in"),
    ],
)
def test_a_call_that_ends_without_an_outcome_says_how_it_ended(
    app, session, twilio_post, riley, jane, dial_status, said
):
    call = make_call(session, riley, jane, status="in-progress", parent_sid=PARENT_SID,
                     active_recruiter_id=riley.id)  # fmt: skip
    twilio_post(f"/voice/outbound/{call.id}/dial-result",
                leg(DialCallStatus=dial_status, DialCallSid=CHILD_SID))  # fmt: skip

    twilio_post(f"/voice/outbound/{call.id}/status",
                leg(CallStatus="completed", SequenceNumber="3"))  # fmt: skip

    body = signed_in(app, riley).get(f"/calls/{call.id}.json").json
    assert body["live_state"] == {"code": "ended", "text": said}
    assert "-" not in body["disposition_text"]


def test_a_recruiter_who_does_not_answer_reads_so(app, session, twilio_post, riley, jane):
    call = make_call(session, riley, jane, status="ringing", parent_sid=PARENT_SID,
                     active_recruiter_id=riley.id)  # fmt: skip

    twilio_post(f"/voice/outbound/{call.id}/status",
                leg(CallStatus="no-answer", SequenceNumber="2"))  # fmt: skip

    body = signed_in(app, riley).get(f"/calls/{call.id}.json").json
    assert body["live_state"]["text"] == "Call ended: you did not answer your phone"
    assert (body["status_text"], body["disposition_text"]) == (
        "no answer",
        "recruiter did not answer",
    )


def test_a_late_candidate_answered_callback_does_not_undo_the_dial_result(
    session, twilio_post, riley, jane
):
    call = make_call(session, riley, jane, status="in-progress", parent_sid=PARENT_SID,
                     active_recruiter_id=riley.id)  # fmt: skip
    answered = {"CallSid": CHILD_SID, "ParentCallSid": PARENT_SID, "CallStatus": "in-progress",
                "SequenceNumber": "0"}  # fmt: skip
    dial_result = leg(DialCallStatus="completed", DialCallSid=CHILD_SID, DialCallDuration="9")
    twilio_post(f"/voice/outbound/{call.id}/dial-result", dial_result)

    twilio_post(f"/voice/outbound/{call.id}/candidate-status", answered)
    twilio_post(f"/voice/outbound/{call.id}/candidate-status", answered)

    session.expire_all()
    assert session.get(Call, call.id).child_status == "completed"
    leg_events = [e for e in events_of(session, call.id) if e.kind == "twilio.candidate_status"]
    assert [e.detail for e in leg_events] == [{"status": "in-progress", "applied": False}]


def test_dashboard_rows_use_words_not_codes(app, session, riley, jane):
    make_call(session, riley, jane, disposition="recruiter-hung-up-before-bridge",
              created_at=datetime(2026, 1, 5, 17, 0, 9, tzinfo=UTC))  # fmt: skip

    page = signed_in(app, riley).get("/calls").text

    text = visible_text(page)
    assert "2026-01-05 12:00:09 EST" in text
    assert "outgoing" in text
    assert "ended · recruiter hung up before connecting" in text
    assert "hung-up" not in text


# Notes on calls ------------------------------------------------------------------------------


def test_a_recruiter_adds_a_note_on_the_call_page(app, session, riley, jane):
    call = make_call(session, riley, jane)
    client = signed_in(app, riley)

    response = client.post(f"/calls/{call.id}/notes", data={"text": " Wants a call on Monday. "})

    assert response.status_code == 303
    assert response.headers["Location"] == f"/calls/{call.id}"
    [note] = events_of(session, call.id)
    assert (note.kind, note.candidate_id, note.actor_id, note.source) == (
        "note.added",
        jane.id,
        riley.id,
        "user",
    )
    assert note.detail == {"text": "Wants a call on Monday."}
    text = visible_text(client.get(response.headers["Location"]).text)
    assert verify_chain(session, CallEvent).ok
    assert "Note Wants a call on Monday. by Riley Recruiter" in text


def test_a_note_from_the_live_panel_gets_json(app, session, riley, jane):
    call = make_call(session, riley, jane)

    response = signed_in(app, riley).post(
        f"/calls/{call.id}/notes",
        data={"text": "Left a message."},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 201
    [note] = events_of(session, call.id)
    assert response.json["id"] == note.id
    assert response.json["text"] == "Left a message."
    assert response.json["author"] == "Riley Recruiter"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d E[SD]T", response.json["at_text"])


def test_notes_are_appended_never_replaced(app, session, riley, jane):
    call = make_call(session, riley, jane)
    client = signed_in(app, riley)

    client.post(f"/calls/{call.id}/notes", data={"text": "First."})
    client.post(f"/calls/{call.id}/notes", data={"text": "Second."})

    notes = [e.detail["text"] for e in events_of(session, call.id) if e.kind == "note.added"]
    assert notes == ["First.", "Second."]


def test_an_empty_note_is_refused_and_writes_nothing(app, session, riley, jane):
    call = make_call(session, riley, jane)

    response = signed_in(app, riley).post(
        f"/calls/{call.id}/notes", data={"text": "  "}, headers={"Accept": "application/json"}
    )

    assert response.status_code == 400
    assert response.json == {"error": "write the note", "field": "text"}
    assert events_of(session, call.id) == []


def test_a_recruiter_notes_only_calls_they_may_read(
    app, session, riley, jane, make_user, make_candidate
):
    other = make_user(name="Other Recruiter")
    theirs = make_call(session, other, make_candidate(owner=other))
    mine = make_call(session, riley, jane)
    client = signed_in(app, riley)

    refused = client.post(f"/calls/{theirs.id}/notes", data={"text": "Mine?"})
    accepted = client.post(f"/calls/{mine.id}/notes", data={"text": "Mine."})

    assert (refused.status_code, accepted.status_code) == (404, 303)
    assert events_of(session, theirs.id) == []
    assert [e.kind for e in events_of(session, mine.id)] == ["note.added"]


def test_the_auditor_reads_notes_but_gets_no_note_form(app, session, riley, jane, make_user):
    call = make_call(session, riley, jane)
    signed_in(app, riley).post(f"/calls/{call.id}/notes", data={"text": "Prefers email."})

    page = signed_in(app, make_user("auditor")).get(f"/calls/{call.id}").text

    assert "Prefers email." in visible_text(page)
    assert 'id="add-note"' not in page


def test_the_csv_export_has_each_calls_notes_in_order_guarded_against_formulas(
    app, session, riley, jane, make_user
):
    noted = make_call(session, riley, jane)
    quiet = make_call(session, riley, jane)
    client = signed_in(app, riley)
    client.post(f"/calls/{noted.id}/notes", data={"text": '=HYPERLINK("http://evil.example")'})
    client.post(f"/calls/{noted.id}/notes", data={"text": "Second, with a comma."})

    export = signed_in(app, make_user("auditor")).get("/log.csv?order=oldest")

    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert [row["call_id"] for row in rows] == [str(noted.id), str(quiet.id)]
    assert rows[0]["notes"] == '\'=HYPERLINK("http://evil.example")\nSecond, with a comma.'
    assert rows[1]["notes"] == ""


# Callbacks -----------------------------------------------------------------------------------


@pytest.fixture
def voicemail(session, riley):  # type: ignore[no-untyped-def]
    def make(candidate=None, number=STRANGER, recruiter=riley, status="open"):  # type: ignore[no-untyped-def]
        call = Call(direction="inbound", flow="candidate" if candidate else "unknown-caller",
                    candidate_id=candidate.id if candidate else None, candidate_number=number,
                    recruiter_id=recruiter.id if recruiter else None,
                    company_number=COMPANY_NUMBER, status="completed", is_voicemail=True,
                    disposition="voicemail", recording_url="http://127.0.0.1:9/RE1",
                    recording_duration=12)  # fmt: skip
        session.add(call)
        session.flush()
        task = CallbackTask(voicemail_call_id=call.id, candidate_id=call.candidate_id,
                            recruiter_id=recruiter.id if recruiter else None,
                            caller_number=number, status=status)  # fmt: skip
        session.add(task)
        session.commit()
        return task

    return make


def test_callbacks_json_lists_my_open_callbacks_and_the_teams(
    app, riley, jane, make_user, voicemail
):
    other = make_user(name="Other Recruiter")
    mine = voicemail(jane)
    team = voicemail(None, recruiter=None)
    voicemail(None, number="+15005559998", recruiter=other)
    voicemail(jane, status="done")

    body = signed_in(app, riley).get("/callbacks.json").json

    assert [c["id"] for c in body["callbacks"]] == [mine.id, team.id]
    assert body["heading"] == "Callbacks waiting (2)"
    assert [(c["caller"], c["team"]) for c in body["callbacks"]] == [
        ("Jane Doe", False),
        (f"Unknown caller {STRANGER}", True),
    ]
    for callback in body["callbacks"]:
        assert callback["html"].startswith(f'<li class="callback" data-task-id="{callback["id"]}"')
    assert f'action="/callbacks/{team.id}/call"' in body["callbacks"][1]["html"]


def test_a_callback_can_be_marked_done_with_a_reason(app, session, riley, voicemail):
    task = voicemail(None)

    response = signed_in(app, riley).post(
        f"/callbacks/{task.id}/done", data={"reason": "Reached them by email"}
    )

    assert response.status_code == 303
    session.refresh(task)
    assert (task.status, task.done_by_call_id) == ("done", None)
    assert task.done_at is not None
    [event] = events_of(session, task.voicemail_call_id)
    assert (event.kind, event.actor_id, event.source) == ("callback.done", riley.id, "user")
    assert event.detail == {"task_id": task.id, "reason": "Reached them by email", "by": "hand"}
    assert verify_chain(session, CallEvent).ok


def test_a_done_callback_cannot_be_done_again(app, session, riley, voicemail):
    task = voicemail(None, status="done")

    response = signed_in(app, riley).post(
        f"/callbacks/{task.id}/done", headers={"Accept": "application/json"}
    )

    assert response.status_code == 409
    assert response.json == {"error": "this callback is already done"}
    assert events_of(session, task.voicemail_call_id) == []


def test_a_callback_is_handed_to_another_recruiter_with_a_reason(
    app, session, riley, make_user, voicemail
):
    sam = make_user(name="Sam Second")
    task = voicemail(None)
    client = signed_in(app, riley)

    response = client.post(
        f"/callbacks/{task.id}/reassign",
        data={"recruiter_id": str(sam.id), "reason": "Sam speaks Spanish"},
    )

    assert response.status_code == 303
    session.refresh(task)
    assert (task.recruiter_id, task.status) == (sam.id, "open")
    [event] = events_of(session, task.voicemail_call_id)
    assert (event.kind, event.actor_id) == ("callback.reassigned", riley.id)
    assert event.detail == {"task_id": task.id, "from": riley.id, "from_name": "Riley Recruiter",
                            "to": sam.id, "to_name": "Sam Second",
                            "reason": "Sam speaks Spanish"}  # fmt: skip
    assert client.get("/callbacks.json").json["callbacks"] == []
    sams = signed_in(app, sam)
    assert [c["id"] for c in sams.get("/callbacks.json").json["callbacks"]] == [task.id]
    assert sams.get(f"/calls/{task.voicemail_call_id}/recording").status_code != 404


def test_reassigning_without_a_reason_changes_nothing(app, session, riley, make_user, voicemail):
    sam = make_user(name="Sam Second")
    task = voicemail(None)

    response = signed_in(app, riley).post(
        f"/callbacks/{task.id}/reassign",
        data={"recruiter_id": str(sam.id), "reason": " "},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 400
    assert response.json == {"error": "say why", "field": "reason"}
    session.refresh(task)
    assert task.recruiter_id == riley.id
    assert events_of(session, task.voicemail_call_id) == []


@pytest.mark.parametrize("whom", ["auditor", "inactive recruiter"])
def test_a_callback_goes_only_to_an_active_recruiter(
    app, session, riley, make_user, voicemail, whom
):
    target = make_user("auditor") if whom == "auditor" else make_user(is_active=False)
    task = voicemail(None)

    response = signed_in(app, riley).post(
        f"/callbacks/{task.id}/reassign",
        data={"recruiter_id": str(target.id), "reason": "holiday"},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 400
    assert response.json["field"] == "recruiter_id"
    session.refresh(task)
    assert task.recruiter_id == riley.id


def test_only_my_callbacks_and_the_teams_can_be_worked(app, session, riley, make_user, voicemail):
    other = make_user(name="Other Recruiter")
    theirs = voicemail(None, recruiter=other)
    teams = voicemail(None, number="+15005559998", recruiter=None)
    client = signed_in(app, riley)

    done = client.post(f"/callbacks/{theirs.id}/done")
    moved = client.post(
        f"/callbacks/{theirs.id}/reassign", data={"recruiter_id": str(riley.id), "reason": "mine"}
    )
    called = client.post(f"/callbacks/{theirs.id}/call")
    team_done = client.post(f"/callbacks/{teams.id}/done")

    assert (done.status_code, moved.status_code, called.status_code) == (404, 404, 404)
    assert team_done.status_code == 303
    session.refresh(theirs)
    assert (theirs.status, theirs.recruiter_id) == ("open", other.id)
    assert events_of(session, theirs.voicemail_call_id) == []
    session.refresh(teams)
    assert teams.status == "done"
    assert session.scalar(select(func.count()).select_from(Call)) == 2


def test_the_call_page_shows_callback_changes_in_words(app, session, riley, make_user, voicemail):
    sam = make_user(name="Sam Second")
    task = voicemail(None)
    signed_in(app, riley).post(
        f"/callbacks/{task.id}/reassign", data={"recruiter_id": str(sam.id), "reason": "cover"}
    )

    page = signed_in(app, make_user("auditor")).get(f"/calls/{task.voicemail_call_id}").text

    assert "Callback reassigned Riley Recruiter → Sam Second (cover) by Riley Recruiter" in (
        visible_text(page)
    )


def test_calling_back_a_withheld_number_is_refused(app, session, riley, voicemail):
    task = voicemail(None, number=None, recruiter=None)

    response = signed_in(app, riley).post(
        f"/callbacks/{task.id}/call", headers={"Accept": "application/json"}
    )

    assert response.status_code == 422
    assert response.json == {"error": "the caller withheld their number"}
    assert session.scalar(select(func.count()).select_from(Call)) == 1


def test_an_unknown_callers_callback_has_a_call_back_button(app, riley, voicemail):
    task = voicemail(None, recruiter=None)

    page = signed_in(app, riley).get("/calls").text

    assert f'action="/callbacks/{task.id}/call"' in page
    assert f"Unknown caller {STRANGER}" in visible_text(page)


def test_a_callbacks_message_is_playable_only_once_its_recording_is_completed(
    app, session, twilio_post, riley, jane
):
    sid = "CA" + "7" * 32
    twilio_post("/voice/incoming", {"CallSid": sid, "From": jane.phone, "To": COMPANY_NUMBER,
                                    "CallStatus": "ringing", "Direction": "inbound"})  # fmt: skip
    call = session.scalar(select(Call).where(Call.parent_sid == sid))
    recording = {"CallSid": sid, "RecordingSid": "RE" + "7" * 32,
                 "RecordingUrl": "http://127.0.0.1:9/RE777", "RecordingDuration": "11"}  # fmt: skip
    twilio_post(f"/voice/inbound/{call.id}/voicemail", recording)
    client = signed_in(app, riley)

    waiting = client.get("/callbacks.json").json["callbacks"]
    twilio_post(f"/voice/inbound/{call.id}/recording",
                {**recording, "RecordingStatus": "completed"})  # fmt: skip
    ready = client.get("/callbacks.json").json["callbacks"]

    assert len(waiting) == 1
    assert "11 s" in waiting[0]["html"]
    assert "<audio" not in waiting[0]["html"]
    assert "<audio" in ready[0]["html"]
    assert client.get(f"/calls/{call.id}.json").json["recording_url"] == "http://127.0.0.1:9/RE777"
