"""Issue 9, the admin's side: users (names, emails, passwords, routing, timezones) and outcome
codes, each change a chained event that auditors read on /log/changes; My settings."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from ivr import words
from ivr.callflow.events import record_change
from models import AccessRecord, CallEvent, OutcomeCode, User
from models.chain import verify_chain
from tests.test_web_pages import sign_in


def signed_in(app, user):
    """A client signed in as `user` whose POSTs carry a valid CSRF token, as the page's do."""
    client = app.test_client()
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = str(user.id)
        flask_session["_fresh"] = True
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").text)
    post = client.post

    def post_with_token(url, data=None, **kwargs):
        data = MultiDict(data or {})
        data.setdefault("csrf_token", token.group(1))
        return post(url, data=data, **kwargs)

    client.post = post_with_token
    return client


class _FormReader(HTMLParser):
    """What a browser would send for the form with `form_id`, as it is rendered."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.select = form_id, False, None
        self.options: list[tuple[str, bool]] = []
        self.data: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self.select, self.options = a["name"], []
        elif tag == "option" and self.select:
            self.options.append((a.get("value", ""), "selected" in a))

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select and self.inside:
            chosen = [v for v, selected in self.options if selected] or [self.options[0][0]]
            self.data.append((self.select, chosen[0]))
            self.select = None


def form_data(html: str, form_id: str) -> MultiDict:
    reader = _FormReader(form_id)
    reader.feed(html)
    assert reader.data, f"no form {form_id!r} on the page"
    return MultiDict(reader.data)


def changes(session, kind=None):
    stmt = select(CallEvent).where(CallEvent.subject.is_not(None)).order_by(CallEvent.seq)
    if kind:
        stmt = stmt.where(CallEvent.kind == kind)
    session.expire_all()
    return list(session.scalars(stmt))


@pytest.fixture
def admin(make_user):
    return make_user("admin", name="Root Admin", email="root@example.com")


@pytest.fixture
def riley(make_user):
    return make_user(name="Riley Recruiter", email="riley@example.com", hunt_order=1)


@pytest.fixture
def as_admin(app, admin):
    return signed_in(app, admin)


def edit(client, user, **fields):
    data = {f"u{user.id}-{name}": value for name, value in fields.items()}
    return client.post(f"/admin/users/{user.id}", data=data)


# Routing ----------------------------------------------------------------------------------


def test_a_hunt_order_on_a_non_recruiter_is_refused_with_the_reason(as_admin, make_user, session):
    ada = make_user("auditor", name="Ada Auditor")

    response = edit(as_admin, ada, hunt_order="3")

    assert response.status_code == 400
    assert "only recruiters take inbound calls, so an auditor cannot" in response.text
    session.refresh(ada)
    assert ada.hunt_order is None
    assert changes(session) == []


def test_a_hunt_order_another_user_has_is_refused_with_the_reason(
    as_admin, riley, make_user, session
):
    sam = make_user(name="Sam Second")

    response = edit(as_admin, sam, hunt_order="1")

    assert response.status_code == 400
    assert "hunt order 1 is already Riley Recruiter&#39;s" in response.text
    session.refresh(sam)
    assert sam.hunt_order is None
    assert changes(session) == []


def test_changing_the_role_of_a_recruiter_in_the_hunt_group_is_refused_until_it_is_cleared(
    as_admin, riley, session
):
    response = edit(as_admin, riley, role="auditor")

    assert response.status_code == 400
    assert "an auditor cannot have a hunt order; clear the hunt order" in response.text
    session.refresh(riley)
    assert (riley.role, riley.hunt_order) == ("recruiter", 1)


def test_adding_a_user_with_a_hunt_order_someone_has_is_refused_with_the_reason(
    as_admin, riley, session
):
    response = as_admin.post("/admin/users", data={
        "name": "Nia New", "email": "nia@example.com", "role": "recruiter", "hunt_order": "1",
        "phone": "+15005550199", "password": "long-enough-password"})  # fmt: skip

    assert response.status_code == 400
    assert "hunt order 1 is already Riley Recruiter&#39;s" in response.text
    assert session.scalar(select(User).where(User.email == "nia@example.com")) is None


def test_adding_an_admin_with_a_hunt_order_is_refused_with_the_reason(as_admin, session):
    response = as_admin.post("/admin/users", data={
        "name": "Nia New", "email": "nia@example.com", "role": "admin",
        "hunt_order": "4", "password": "long-enough-password"})  # fmt: skip

    assert response.status_code == 400
    assert "an admin cannot have a hunt order" in response.text
    assert session.scalar(select(User).where(User.email == "nia@example.com")) is None


# Names, emails, passwords -----------------------------------------------------------------


def test_admin_renames_a_user_and_changes_their_email(as_admin, riley, session):
    response = edit(as_admin, riley, name="Riley Renamed", email="Riley.New@Example.com")

    assert response.status_code == 303
    session.refresh(riley)
    assert (riley.name, riley.email) == ("Riley Renamed", "riley.new@example.com")
    [event] = changes(session, "user.changed")
    assert event.detail == {"fields": ["name", "email"], "changes": {}}


def test_an_email_another_user_has_is_refused_with_a_clear_error(
    as_admin, riley, make_user, session
):
    sam = make_user(name="Sam Second", email="sam@example.com")

    response = edit(as_admin, sam, email="riley@example.com")

    assert response.status_code == 409
    assert "riley@example.com already belongs to another user, Riley Recruiter" in response.text
    session.refresh(sam)
    assert sam.email == "sam@example.com"
    assert changes(session) == []


def test_admin_resets_a_password_and_only_the_new_one_signs_in(app, as_admin, riley, session):
    response = as_admin.post(
        f"/admin/users/{riley.id}/password", data={f"p{riley.id}-password": "a-brand-new-secret"}
    )

    assert response.status_code == 303
    new = sign_in(app.test_client(), "riley@example.com", "a-brand-new-secret")
    old = sign_in(app.test_client(), "riley@example.com", "password-123")
    assert new.status_code == 302
    assert old.status_code == 200
    assert "do not match an active account" in old.text
    [event] = changes(session, "user.password_reset")
    assert (event.subject, event.detail) == (f"user:{riley.id}", {})


def test_a_short_password_is_refused_and_the_old_one_still_works(as_admin, riley, session):
    response = as_admin.post(
        f"/admin/users/{riley.id}/password", data={f"p{riley.id}-password": "short"}
    )

    assert response.status_code == 400
    assert "at least 10 characters" in response.text
    session.refresh(riley)
    assert riley.check_password("password-123")
    assert changes(session) == []


def test_no_event_holds_a_password_or_its_hash(as_admin, riley, session):
    as_admin.post("/admin/users", data={
        "name": "Nia New", "email": "nia@example.com", "role": "auditor",
        "password": "first-secret-value"})  # fmt: skip
    nia = session.scalar(select(User).where(User.email == "nia@example.com"))
    first_hash = nia.password_hash

    as_admin.post(f"/admin/users/{nia.id}/password", data={f"p{nia.id}-password": "second-secret"})

    session.refresh(nia)
    stored = json.dumps([(e.kind, e.detail, e.payload) for e in changes(session)])
    assert [e.kind for e in changes(session)] == ["user.created", "user.password_reset"]
    for secret in ("first-secret-value", "second-secret", first_hash, nia.password_hash):
        assert secret not in stored


# Chained user events ----------------------------------------------------------------------


def test_adding_a_user_is_a_chained_event_without_their_personal_data(as_admin, admin, session):
    as_admin.post("/admin/users", data={
        "name": "Nia New", "email": "nia@example.com", "role": "recruiter",
        "phone": "+15005550199", "hunt_order": "2", "is_available": "yes",
        "timezone": "Europe/Paris", "password": "long-enough-password"})  # fmt: skip

    nia = session.scalar(select(User).where(User.email == "nia@example.com"))
    [event] = changes(session)
    assert (event.kind, event.subject, event.actor_id) == ("user.created", f"user:{nia.id}",
                                                           admin.id)  # fmt: skip
    assert event.detail == {"role": "recruiter", "hunt_order": 2, "is_available": True,
                            "is_active": True, "timezone": "Europe/Paris",
                            "fields": ["name", "email", "phone"]}  # fmt: skip
    assert verify_chain(session, CallEvent).ok


def test_a_user_change_is_a_chained_event_with_from_and_to(as_admin, admin, riley, session):
    response = edit(as_admin, riley, hunt_order="2", is_available="no", timezone="Asia/Tokyo",
                    phone="+15005550177")  # fmt: skip

    assert response.status_code == 303
    [event] = changes(session)
    assert (event.kind, event.subject, event.actor_id) == ("user.changed", f"user:{riley.id}",
                                                           admin.id)  # fmt: skip
    assert event.detail == {
        "fields": ["phone", "hunt_order", "is_available", "timezone"],
        "changes": {
            "hunt_order": {"from": 1, "to": 2},
            "is_available": {"from": True, "to": False},
            "timezone": {"from": None, "to": "Asia/Tokyo"},
        },
    }
    assert "+15005550177" not in json.dumps(event.detail)
    assert verify_chain(session, CallEvent).ok


def test_the_rendered_user_form_saved_unchanged_writes_no_event(as_admin, riley, session):
    page = as_admin.get("/admin/users").text

    response = as_admin.post(f"/admin/users/{riley.id}", data=form_data(page, f"edit-{riley.id}"))

    assert response.status_code == 303
    assert changes(session) == []


def test_an_unticked_box_on_the_user_form_turns_the_flag_off(as_admin, riley, session):
    data = form_data(as_admin.get("/admin/users").text, f"edit-{riley.id}")
    data.setlist(f"u{riley.id}-is_available", ["no"])  # what the page sends once unticked

    as_admin.post(f"/admin/users/{riley.id}", data=data)

    session.refresh(riley)
    assert riley.is_available is False
    assert riley.is_active is True


def test_the_last_active_admin_cannot_be_deactivated(as_admin, admin, session):
    response = edit(as_admin, admin, is_active="no")

    assert response.status_code == 409
    assert "keep at least one active admin" in response.text
    session.refresh(admin)
    assert admin.is_active


# Outcome codes ----------------------------------------------------------------------------


def test_the_outcome_code_form_is_filled_with_the_codes_current_values(as_admin):
    page = as_admin.get("/admin/outcome-codes?digit=9").text

    data = form_data(page, "outcome-code")

    assert data["digit"] == "9"
    assert data["label"] == "wrong number, do not call"
    assert data["sets_stage"] == ""
    assert data.getlist("marks_do_not_call") == ["no", "yes"]
    assert data.getlist("is_active") == ["no", "yes"]


def test_each_code_has_an_edit_link_to_its_filled_form(as_admin):
    page = as_admin.get("/admin/outcome-codes").text

    assert 'href="/admin/outcome-codes?digit=4#code-form"' in page


def test_the_filled_outcome_code_form_saved_unchanged_writes_no_event(as_admin, session):
    data = form_data(as_admin.get("/admin/outcome-codes?digit=1").text, "outcome-code")

    response = as_admin.post("/admin/outcome-codes", data=data)

    assert response.status_code == 303
    assert changes(session) == []


def test_saving_a_code_keeps_the_flags_the_request_did_not_send(as_admin, session):
    response = as_admin.post("/admin/outcome-codes", data={"digit": "9", "label": "wrong number"})

    assert response.status_code == 303
    code = session.scalar(select(OutcomeCode).where(OutcomeCode.digit == "9"))
    assert (code.label, code.marks_do_not_call, code.is_active) == ("wrong number", True, True)


def test_saving_a_code_keeps_its_stage_when_the_request_did_not_send_one(as_admin, session):
    as_admin.post("/admin/outcome-codes", data={"digit": "1", "is_active": "no"})

    code = session.scalar(select(OutcomeCode).where(OutcomeCode.digit == "1"))
    assert (code.label, code.sets_stage, code.is_active) == (
        "interview scheduled", "interviewing", False)  # fmt: skip


def test_an_outcome_code_save_is_a_chained_event_with_from_and_to(as_admin, admin, session):
    as_admin.post("/admin/outcome-codes", data={
        "digit": "6", "label": "left a voicemail", "sets_stage": "screening",
        "marks_do_not_call": "no", "is_active": "no"})  # fmt: skip

    [event] = changes(session)
    assert (event.kind, event.subject, event.actor_id) == ("outcome_code.saved", "outcome_code:6",
                                                           admin.id)  # fmt: skip
    assert event.detail == {"created": False, "changes": {
        "label": {"from": "left voicemail", "to": "left a voicemail"},
        "sets_stage": {"from": None, "to": "screening"},
        "is_active": {"from": True, "to": False}}}  # fmt: skip
    assert verify_chain(session, CallEvent).ok


def test_a_new_outcome_code_is_a_chained_event_from_nothing(as_admin, session):
    as_admin.post("/admin/outcome-codes", data={"digit": "0", "label": "asked for email"})

    [event] = changes(session)
    assert event.detail == {"created": True, "changes": {
        "digit": {"from": None, "to": "0"},
        "label": {"from": None, "to": "asked for email"},
        "marks_do_not_call": {"from": None, "to": False},
        "is_active": {"from": None, "to": True}}}  # fmt: skip


# The auditor's view of system changes -----------------------------------------------------


@pytest.fixture
def ada(make_user):
    return make_user("auditor", name="Ada Auditor", email="ada@example.com",
                     timezone="Asia/Tokyo")  # fmt: skip


def test_auditor_reads_system_changes_newest_first_in_their_timezone(
    app, as_admin, riley, ada, session
):
    edit(as_admin, riley, hunt_order="2", role="recruiter")
    as_admin.post("/admin/outcome-codes", data={"digit": "8", "is_active": "no"})
    first, second = changes(session)

    page = signed_in(app, ada).get("/log/changes")

    assert page.status_code == 200
    text = page.text
    assert text.index('data-kind="outcome_code.saved"') < text.index('data-kind="user.changed"')
    assert "User changed: Riley Recruiter" in text
    assert "hunt order 1 → 2" in text
    assert "Outcome code saved: outcome code 8" in text
    assert "active yes → no" in text
    assert words.local_time(first.created_at, "Asia/Tokyo") in text
    assert "JST" in text
    assert "{" not in text.split('id="changes"')[1].split("</table>")[0]
    assert second.actor.name in text


def test_reading_system_changes_is_recorded(app, ada, session):
    signed_in(app, ada).get("/log/changes")

    record = session.scalar(select(AccessRecord))
    assert (record.user_id, record.action) == (ada.id, "web.changes.view")


def test_system_changes_page_older_entries(app, ada, admin, session):
    for n in range(51):
        label = {"label": {"from": "a", "to": str(n)}}
        record_change(session, "outcome_code.saved", actor=admin, subject=f"outcome_code:{n % 10}",
                      detail={"created": False, "changes": label})  # fmt: skip
    client = signed_in(app, ada)

    first = client.get("/log/changes")
    older = client.get(f"/log/changes?before={changes(session)[1].seq}")

    assert first.text.count('data-kind="outcome_code.saved"') == 50
    assert f'href="/log/changes?before={changes(session)[1].seq}"' in first.text
    assert older.text.count('data-kind="outcome_code.saved"') == 1
    assert "label “a” → “0”" in older.text


def test_auditors_nav_links_to_system_changes(app, ada):
    page = signed_in(app, ada).get("/log")

    assert 'href="/log/changes"' in page.text


# My settings ------------------------------------------------------------------------------


def test_a_user_sets_their_own_timezone_and_it_is_chained(app, riley, session):
    client = signed_in(app, riley)

    response = client.post("/me/settings", data={"timezone": "America/Chicago"})

    assert response.status_code == 303
    session.refresh(riley)
    assert riley.timezone == "America/Chicago"
    [event] = changes(session)
    assert (event.kind, event.actor_id, event.subject) == ("user.changed", riley.id,
                                                           f"user:{riley.id}")  # fmt: skip
    assert event.detail["changes"] == {"timezone": {"from": None, "to": "America/Chicago"}}


def test_an_unknown_timezone_is_refused_with_the_reason(app, riley, session):
    response = signed_in(app, riley).post("/me/settings", data={"timezone": "Mars/Olympus"})

    assert response.status_code == 400
    assert "is not a known IANA timezone" in response.text
    session.refresh(riley)
    assert riley.timezone is None


def test_a_blank_timezone_goes_back_to_the_business_timezone(app, make_user, session):
    sam = make_user(name="Sam Second", timezone="Europe/Paris")

    signed_in(app, sam).post("/me/settings", data={"timezone": " "})

    session.refresh(sam)
    assert sam.timezone is None


def test_my_settings_shows_my_timezone(app, ada):
    page = signed_in(app, ada).get("/me/settings")

    assert form_data(page.text, "my-settings")["timezone"] == "Asia/Tokyo"
    assert "JST" in page.text


def test_the_model_refuses_an_unknown_timezone():
    with pytest.raises(ValueError, match="not a known IANA timezone"):
        User(name="X", email="x@example.com", role="auditor", timezone="Mars/Olympus")


def test_a_change_summary_lists_personal_fields_by_name_only():
    detail = {"fields": ["name", "email", "phone", "role"],
              "changes": {"role": {"from": "recruiter", "to": "auditor"}}}  # fmt: skip

    text = words.event_summary("user.changed", detail)

    assert text == "role recruiter → auditor; name, email and phone changed"


def test_the_changes_page_shows_auditors_candidate_record_changes_too(
    app, session, make_user, make_candidate
):
    from ivr.callflow.events import record_change
    from models import Candidate

    ada = make_user("auditor", name="Ada Auditor")
    riley = make_user(name="Riley Recruiter")
    jane = make_candidate(owner=riley, name="Jane Doe")
    record_change(session, "candidate.stage_changed", actor=riley,
                  candidate=session.get(Candidate, jane.id),
                  detail={"from": "applied", "to": "screening", "reason": "strong CV"})  # fmt: skip
    record_change(session, "note.added", actor=riley, candidate=session.get(Candidate, jane.id),
                  detail={"text": "private working note"})  # fmt: skip
    session.commit()
    client = signed_in(app, ada)

    everything = client.get("/log/changes")
    candidates_only = client.get("/log/changes?what=candidates")
    system_only = client.get("/log/changes?what=system")

    assert 'data-kind="candidate.stage_changed"' in everything.text
    assert "applied → screening (strong CV)" in everything.text
    assert f'href="/candidates/{jane.id}">Jane Doe</a>' in candidates_only.text
    assert "private working note" not in everything.text
    assert 'data-kind="candidate.stage_changed"' not in system_only.text
