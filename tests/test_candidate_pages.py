"""The candidate pages (issue 9): the list with search, filters, sorts, the team switch and
keyset pages; add and edit with reasons next to the field; bulk reassign; the candidate's
page with its stage history and one timeline in the viewer's time; notes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from models import AccessRecord, Call, CallEvent, Candidate, utcnow
from models.chain import verify_chain
from tests.fixtures.twilio import COMPANY_NUMBER
from tests.test_web_pages import csrf_from


@pytest.fixture
def riley(make_user):
    return make_user(name="Riley Recruiter", email="riley@example.com")


@pytest.fixture
def sam(make_user):
    return make_user(name="Sam Second", email="sam@example.com")


class Browser:
    """A signed-in client whose POSTs carry a valid CSRF token, as a browser's forms do."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def get(self, *args, **kwargs):
        return self.client.get(*args, **kwargs)

    def post(self, url, data=None, **kwargs):
        if self.token is None:
            self.token = csrf_from(self.client.get("/login").text)
        return self.client.post(url, data={"csrf_token": self.token, **(data or {})}, **kwargs)


def signed_in(app, user):
    client = app.test_client()
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = str(user.id)
        flask_session["_fresh"] = True
    return Browser(client)


def listed(html: str) -> list[int]:
    """The candidates a list page shows, in order."""
    return [int(i) for i in re.findall(r'<tr data-candidate-id="(\d+)"', html)]


def field_error(html: str, text: str) -> bool:
    """A reason shown next to a field (not in a banner at the top)."""
    shown = re.findall(r'<span class="field-error"[^>]*>([^<]*)', html)
    shown += re.findall(r'<p class="field-error"[^>]*>([^<]*)', html)
    return any(text in unescape(message) for message in shown)


def events_of(session, candidate, kind=None):
    stmt = select(CallEvent).where(CallEvent.candidate_id == candidate.id)
    if kind:
        stmt = stmt.where(CallEvent.kind == kind)
    session.expire_all()
    return list(session.scalars(stmt.order_by(CallEvent.seq)))


def edit_form(candidate, **changes):
    data = {
        "name": candidate.name,
        "phone": candidate.phone,
        "email": candidate.email or "",
        "owner_id": str(candidate.owner_id or ""),
        "stage": candidate.stage,
        "timezone": candidate.timezone,
        "reason": "",
    }
    if candidate.do_not_call:
        data["do_not_call"] = "y"
        data["do_not_call_reason"] = candidate.do_not_call_reason or ""
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# The list ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["(415) 555-0133", "+1 415 555 0133", "415.555.0133", "4155550133", "555-0133"]
)
def test_search_finds_a_candidate_by_phone_in_any_format(
    app, riley, make_candidate, typed
):  # fmt: skip
    jane = make_candidate(owner=riley, name="Jane Doe", phone="+14155550133")
    make_candidate(owner=riley, name="Other Person", phone="+14155550199")
    client = signed_in(app, riley)

    response = client.get("/candidates", query_string={"q": typed})

    assert response.status_code == 200
    assert listed(response.text) == [jane.id]


def test_search_finds_a_candidate_by_email_or_code(app, riley, make_candidate):
    jane = make_candidate(owner=riley, name="Jane Doe", email="jane.doe@example.org")
    coded = make_candidate(owner=riley, name="Kim Code", code="654321")
    client = signed_in(app, riley)

    by_email = client.get("/candidates?q=JANE.DOE@example")
    by_code = client.get("/candidates?q=654321")
    by_name = client.get("/candidates?q=kim")

    assert listed(by_email.text) == [jane.id]
    assert listed(by_code.text) == [coded.id]
    assert listed(by_name.text) == [coded.id]


def test_the_list_filters_by_stage_and_do_not_call(app, riley, make_candidate):
    screening = make_candidate(owner=riley, name="A Screening", stage="screening")
    make_candidate(owner=riley, name="B Applied")
    barred = make_candidate(owner=riley, name="C Barred", do_not_call=True,
                            do_not_call_reason="asked us to stop")  # fmt: skip
    client = signed_in(app, riley)

    by_stage = client.get("/candidates?stage=screening")
    by_dnc = client.get("/candidates?do_not_call=true")

    assert listed(by_stage.text) == [screening.id]
    assert listed(by_dnc.text) == [barred.id]
    assert "do not call" in by_dnc.text


def test_the_list_filters_candidates_not_called_in_n_days(app, riley, make_candidate):
    now = utcnow()
    make_candidate(owner=riley, name="Called Yesterday", last_contact_at=now - timedelta(days=1))
    old = make_candidate(owner=riley, name="Long Ago", last_contact_at=now - timedelta(days=9))
    never = make_candidate(owner=riley, name="Never Called")
    client = signed_in(app, riley)

    response = client.get("/candidates?not_called_days=7")

    assert set(listed(response.text)) == {old.id, never.id}


def test_an_admin_sees_everyones_candidates_and_filters_by_owner(
    app, riley, sam, make_user, make_candidate
):
    mine = make_candidate(owner=riley, name="Riley's")
    theirs = make_candidate(owner=sam, name="Sam's")
    admin = make_user("admin")
    client = signed_in(app, admin)

    everyone = client.get("/candidates")
    by_owner = client.get(f"/candidates?owner_id={sam.id}")

    assert set(listed(everyone.text)) == {mine.id, theirs.id}
    assert listed(by_owner.text) == [theirs.id]


def test_the_list_sorts_by_stage_and_by_last_contact(app, riley, make_candidate):
    now = utcnow()
    hired = make_candidate(owner=riley, name="A Hired", stage="hired",
                           last_contact_at=now - timedelta(days=1))  # fmt: skip
    applied = make_candidate(owner=riley, name="B Applied", stage="applied",
                             last_contact_at=now - timedelta(days=5))  # fmt: skip
    offer = make_candidate(owner=riley, name="C Offer", stage="offer")
    client = signed_in(app, riley)

    by_name = client.get("/candidates")
    by_stage = client.get("/candidates?sort=stage")
    by_contact = client.get("/candidates?sort=last_contact")

    assert listed(by_name.text) == [hired.id, applied.id, offer.id]
    assert listed(by_stage.text) == [applied.id, offer.id, hired.id]
    # Never contacted first, then the longest ago.
    assert listed(by_contact.text) == [offer.id, applied.id, hired.id]


def test_a_recruiter_sees_their_own_and_switches_to_the_team(app, riley, sam, make_candidate):
    mine = make_candidate(owner=riley, name="Mine Person")
    theirs = make_candidate(owner=sam, name="Their Person", phone="+14155550177")
    client = signed_in(app, riley)

    own = client.get("/candidates")
    team = client.get("/candidates?scope=team")

    assert listed(own.text) == [mine.id]
    assert 'href="/candidates?scope=team"' in own.text
    assert set(listed(team.text)) == {mine.id, theirs.id}
    row = re.search(rf'<tr data-candidate-id="{theirs.id}">.*?</tr>', team.text, re.S).group(0)
    assert "Sam Second" in row
    assert f"/candidates/{theirs.id}" not in row  # not theirs to open
    assert 'name="candidate_ids"' not in row  # nor to reassign
    assert "+14155550177" not in row  # enough to tell, not to dial
    assert f'href="/candidates/{mine.id}"' in team.text


def test_the_next_page_link_carries_the_cursor_and_the_filters(app, riley, make_candidate):
    people = [make_candidate(owner=riley, name=f"Person {n}", stage="screening") for n in range(5)]
    client = signed_in(app, riley)

    first = client.get("/candidates?stage=screening&limit=2")
    link = re.search(r'rel="next" id="next-page" href="([^"]+)"', first.text).group(1)
    second = client.get(link.replace("&amp;", "&"))

    assert listed(first.text) == [p.id for p in people[:2]]
    assert "cursor=" in link
    assert "stage=screening" in link
    assert listed(second.text) == [p.id for p in people[2:4]]


def test_a_filter_that_cannot_be_used_is_explained(app, riley, make_candidate):
    make_candidate(owner=riley)
    client = signed_in(app, riley)

    response = client.get("/candidates?not_called_days=soon")

    assert response.status_code == 400
    assert "Not called in (days) must be a whole number from 1 to 3650." in response.text
    assert 'id="candidates"' not in response.text


def test_an_auditors_look_at_the_list_is_recorded(app, riley, make_user, make_candidate, session):
    make_candidate(owner=riley)
    auditor = make_user("auditor")
    client = signed_in(app, auditor)

    response = client.get("/candidates?stage=offer")

    assert response.status_code == 200
    records = session.scalars(select(AccessRecord)).all()
    assert [(r.action, r.filters) for r in records] == [("web.candidates.view", {"stage": "offer"})]
    assert "Add a candidate" not in response.text


# Adding -------------------------------------------------------------------------------------


def test_a_recruiter_adds_a_candidate_typed_in_national_format(app, riley, session):
    client = signed_in(app, riley)

    response = client.post("/candidates/new", data={
        "name": "  Jane   Doe ", "phone": "(415) 555-0133", "email": "Jane@Example.org",
        "owner_id": str(riley.id), "stage": "applied", "timezone": ""})  # fmt: skip

    jane = session.scalar(select(Candidate).where(Candidate.name == "Jane Doe"))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/candidates/{jane.id}"
    assert (jane.phone, jane.email, jane.owner_id) == ("+14155550133", "jane@example.org", riley.id)
    assert jane.timezone == "America/Los_Angeles"  # from the number's area code
    assert [e.kind for e in events_of(session, jane)] == ["candidate.created"]


def test_the_add_form_offers_active_recruiters_and_common_zones(app, riley, sam, make_user):
    make_user(name="Gone Recruiter", is_active=False)
    client = signed_in(app, riley)

    page = client.get("/candidates/new")

    assert page.status_code == 200
    assert f'<option selected value="{riley.id}">Riley Recruiter</option>' in page.text
    assert "Sam Second" in page.text
    assert "Gone Recruiter" not in page.text
    assert '<option value="Europe/London">' in page.text


def test_a_bad_phone_is_refused_next_to_the_field(app, riley, session):
    client = signed_in(app, riley)

    response = client.post("/candidates/new", data={
        "name": "Jane Doe", "phone": "555-01", "stage": "applied",
        "email": "not-an-email"})  # fmt: skip

    assert response.status_code == 400
    assert field_error(response.text, "'555-01' is not a valid phone number")
    assert field_error(response.text, "'not-an-email' is not an email address")
    assert 'value="555-01"' in response.text  # what was typed stays
    assert session.scalar(select(func.count()).select_from(Candidate)) == 0


def test_a_taken_phone_is_refused_with_a_link_to_who_has_it(app, riley, make_candidate, session):
    jane = make_candidate(owner=riley, name="Jane Doe", phone="+14155550133")
    client = signed_in(app, riley)

    response = client.post("/candidates/new", data={
        "name": "Jane Again", "phone": "415 555 0133", "stage": "applied"})  # fmt: skip

    assert response.status_code == 409
    assert field_error(response.text, "Another candidate has this phone number")
    assert f'<a href="/candidates/{jane.id}">Open Jane Doe</a>' in response.text
    assert session.scalar(select(func.count()).select_from(Candidate)) == 1


def test_a_phone_taken_by_another_recruiters_candidate_gets_no_link(
    app, riley, sam, make_candidate
):
    theirs = make_candidate(owner=sam, name="Their Person", phone="+14155550133")
    client = signed_in(app, riley)

    response = client.post("/candidates/new", data={
        "name": "Jane Again", "phone": "415 555 0133", "stage": "applied"})  # fmt: skip

    assert response.status_code == 409
    assert f"/candidates/{theirs.id}" not in response.text
    assert "Sam Second&#39;s candidate" in response.text


def test_an_unknown_timezone_is_refused_next_to_the_field(app, riley, session):
    client = signed_in(app, riley)

    response = client.post("/candidates/new", data={
        "name": "Jane Doe", "phone": "(415) 555-0133", "stage": "applied",
        "timezone": "Mars/Olympus"})  # fmt: skip

    assert response.status_code == 400
    assert field_error(response.text, "'Mars/Olympus' is not a known IANA timezone")
    assert session.scalar(select(func.count()).select_from(Candidate)) == 0


def test_marking_do_not_call_on_a_new_candidate_needs_a_reason(app, riley, session):
    client = signed_in(app, riley)

    response = client.post("/candidates/new", data={
        "name": "Jane Doe", "phone": "(415) 555-0133", "stage": "applied",
        "do_not_call": "y", "do_not_call_reason": ""})  # fmt: skip

    assert response.status_code == 400
    assert field_error(response.text, "Say why this person must not be called")
    assert session.scalar(select(func.count()).select_from(Candidate)) == 0


def test_the_add_form_needs_its_csrf_token(app, riley, session):
    client = signed_in(app, riley).client

    refused = client.post("/candidates/new", data={
        "name": "Jane Doe", "phone": "(415) 555-0133", "stage": "applied"})  # fmt: skip
    token = csrf_from(client.get("/candidates/new").text)
    accepted = client.post("/candidates/new", data={
        "csrf_token": token, "name": "Jane Doe", "phone": "(415) 555-0133",
        "stage": "applied"})  # fmt: skip

    assert refused.status_code == 400
    assert accepted.status_code == 303
    assert session.scalar(select(func.count()).select_from(Candidate)) == 1


# Editing -----------------------------------------------------------------------------------


def test_a_stage_change_is_chained_and_shown_with_who_and_when(app, riley, make_candidate, session):
    jane = make_candidate(owner=riley, name="Jane Doe")
    riley.timezone = "Asia/Tokyo"
    session.commit()
    client = signed_in(app, riley)

    form = edit_form(jane, stage="interviewing", reason="strong screen")
    saved = client.post(f"/candidates/{jane.id}/edit", data=form)
    page = client.get(f"/candidates/{jane.id}")

    assert saved.status_code == 303
    (event,) = events_of(session, jane, "candidate.stage_changed")
    assert event.actor_id == riley.id
    assert (event.detail["from"], event.detail["to"]) == ("applied", "interviewing")
    assert event.detail["reason"] == "strong screen"
    assert verify_chain(session, CallEvent).ok
    when = event.created_at.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%d %H:%M:%S JST")
    history = re.search(r'id="stage-history">(.*?)</ol>', page.text, re.S).group(1)
    assert f"{when}</time> · <strong>applied → interviewing</strong> (strong screen)" in history
    assert "by Riley Recruiter" in history
    assert '<dd id="stage">interviewing</dd>' in page.text


def test_the_stage_history_runs_from_the_stage_a_candidate_was_added_at(app, riley, session):
    client = signed_in(app, riley)
    client.post("/candidates/new", data={
        "name": "Jane Doe", "phone": "(415) 555-0133", "stage": "screening"})  # fmt: skip
    jane = session.scalar(select(Candidate))
    client.post(f"/candidates/{jane.id}/edit", data=edit_form(jane, stage="offer"))
    client.post(f"/candidates/{jane.id}/edit", data=edit_form(jane, stage="hired",
                                                              reason="signed"))  # fmt: skip

    page = client.get(f"/candidates/{jane.id}")

    history = re.search(r'id="stage-history">(.*?)</ol>', page.text, re.S).group(1)
    steps = re.findall(r"<strong>([^<]+)</strong>", history)
    assert steps == ["Added at stage screening", "screening → offer", "offer → hired"]
    assert "(signed) · by Riley Recruiter" in history


def test_a_zone_left_as_it_was_follows_a_new_number(app, riley, make_candidate, session):
    jane = make_candidate(owner=riley, name="Jane Doe", phone="+14155550133",
                          timezone="America/Los_Angeles")  # fmt: skip
    client = signed_in(app, riley)

    client.post(f"/candidates/{jane.id}/edit", data=edit_form(jane, phone="+44 20 7946 0958"))

    session.refresh(jane)
    assert (jane.phone, jane.timezone) == ("+442079460958", "Europe/London")


def test_saving_an_unchanged_form_writes_nothing(app, riley, make_candidate, session):
    jane = make_candidate(owner=riley, name="Jane Doe", email="jane@example.org",
                          timezone="Europe/London")  # fmt: skip
    client = signed_in(app, riley)

    response = client.post(f"/candidates/{jane.id}/edit", data=edit_form(jane),
                           follow_redirects=True)  # fmt: skip

    assert "Nothing changed." in response.text
    assert events_of(session, jane) == []


def test_a_blank_timezone_takes_the_phone_numbers_zone(app, riley, make_candidate, session):
    jane = make_candidate(owner=riley, name="Jane Doe", timezone="Asia/Tokyo")
    client = signed_in(app, riley)

    client.post(f"/candidates/{jane.id}/edit", data=edit_form(jane, phone="+44 20 7946 0958",
                                                              timezone=""))  # fmt: skip

    session.refresh(jane)
    assert (jane.phone, jane.timezone) == ("+442079460958", "Europe/London")


def test_another_recruiters_candidate_cannot_be_edited(app, riley, sam, make_candidate, session):
    theirs = make_candidate(owner=sam, name="Their Person")
    client = signed_in(app, riley)

    page = client.get(f"/candidates/{theirs.id}/edit")
    post = client.post(f"/candidates/{theirs.id}/edit", data=edit_form(theirs, stage="hired"))

    assert page.status_code == 403
    assert post.status_code == 403
    session.refresh(theirs)
    assert theirs.stage == "applied"
    assert events_of(session, theirs) == []


def test_do_not_call_is_set_and_cleared_with_its_reasons(app, riley, make_candidate, session):
    jane = make_candidate(owner=riley, name="Jane Doe")
    client = signed_in(app, riley)

    client.post(f"/candidates/{jane.id}/edit", data=edit_form(
        jane, do_not_call="y", do_not_call_reason="asked us to stop",
        stage="withdrawn", reason="took another job"))  # fmt: skip
    session.refresh(jane)
    marked = client.get(f"/candidates/{jane.id}")
    client.post(f"/candidates/{jane.id}/edit", data=edit_form(
        jane, do_not_call=None, reason="wrote back asking to talk"))  # fmt: skip
    cleared = client.get(f"/candidates/{jane.id}")

    kinds = [(e.kind, e.detail.get("reason")) for e in events_of(session, jane)]
    assert ("candidate.do_not_call", "asked us to stop") in kinds
    assert ("candidate.stage_changed", "took another job") in kinds
    assert kinds[-1] == ("candidate.do_not_call_cleared", "wrote back asking to talk")
    assert "yes: asked us to stop" in marked.text
    assert 'class="call"' not in marked.text
    session.refresh(jane)
    assert (jane.do_not_call, jane.do_not_call_reason) == (False, None)
    assert '<dd id="do-not-call">no</dd>' in cleared.text
    assert "Do not call cleared" in cleared.text
    assert 'class="call"' in cleared.text


def test_clearing_do_not_call_without_a_reason_is_refused(app, riley, make_candidate, session):
    jane = make_candidate(owner=riley, name="Jane Doe", do_not_call=True,
                          do_not_call_reason="asked us to stop")  # fmt: skip
    client = signed_in(app, riley)

    response = client.post(f"/candidates/{jane.id}/edit", data=edit_form(jane, do_not_call=None))

    assert response.status_code == 400
    assert field_error(response.text, "Clearing do-not-call needs a written reason")
    session.refresh(jane)
    assert jane.do_not_call
    assert events_of(session, jane) == []


def test_an_admin_edits_any_candidate_and_hands_it_over(
    app, riley, sam, make_user, make_candidate, session
):
    jane = make_candidate(owner=riley, name="Jane Doe")
    admin = make_user("admin")
    client = signed_in(app, admin)

    page = client.get(f"/candidates/{jane.id}/edit")
    form = edit_form(jane, owner_id=str(sam.id), reason="Riley left")
    response = client.post(f"/candidates/{jane.id}/edit", data=form)

    assert page.status_code == 200
    assert "— nobody —" in page.text
    assert response.status_code == 303
    session.refresh(jane)
    assert jane.owner_id == sam.id
    (event,) = events_of(session, jane, "candidate.owner_changed")
    assert (event.actor_id, event.detail["reason"]) == (admin.id, "Riley left")


def test_an_inactive_owner_is_kept_when_the_form_is_saved(app, make_user, make_candidate, session):
    gone = make_user(name="Gone Recruiter", is_active=False)
    jane = make_candidate(owner=gone, name="Jane Doe")
    admin = make_user("admin")
    client = signed_in(app, admin)

    page = client.get(f"/candidates/{jane.id}/edit")
    client.post(f"/candidates/{jane.id}/edit", data=edit_form(jane, stage="screening"))

    assert "Gone Recruiter (inactive)" in page.text
    session.refresh(jane)
    assert (jane.owner_id, jane.stage) == (gone.id, "screening")


# Reassigning ------------------------------------------------------------------------------


def test_a_recruiter_reassigns_several_candidates_at_once(app, riley, sam, make_candidate, session):
    a = make_candidate(owner=riley, name="Ann A")
    b = make_candidate(owner=riley, name="Bob B")
    kept = make_candidate(owner=riley, name="Kim Kept")
    client = signed_in(app, riley)

    response = client.post("/candidates/reassign", data={
        "candidate_ids": [str(a.id), str(b.id)], "owner_id": str(sam.id),
        "reason": "Sam covers the west", "back": "sort=stage"})  # fmt: skip
    after = client.get(response.headers["Location"])

    assert response.status_code == 303
    assert response.headers["Location"] == "/candidates?sort=stage"
    session.expire_all()
    owners = [session.get(Candidate, c.id).owner_id for c in (a, b, kept)]
    assert owners == [sam.id, sam.id, riley.id]
    assert len(events_of(session, a, "candidate.owner_changed")) == 1
    assert "Reassigned 2 to Sam Second: Ann A, Bob B." in after.text


def test_reassigning_moves_none_when_one_is_not_yours(app, riley, sam, make_candidate, session):
    mine = make_candidate(owner=riley, name="Ann A")
    theirs = make_candidate(owner=sam, name="Their Person")
    client = signed_in(app, riley)

    response = client.post("/candidates/reassign", data={
        "candidate_ids": [str(mine.id), str(theirs.id)], "owner_id": str(sam.id)})  # fmt: skip

    assert response.status_code == 403
    assert f"Candidate {theirs.id} is not yours to reassign; nothing moved." in response.text
    session.expire_all()
    assert session.get(Candidate, mine.id).owner_id == riley.id
    assert events_of(session, mine) == []


def test_reassigning_to_someone_who_is_not_a_recruiter_is_refused(
    app, riley, make_user, make_candidate, session
):
    mine = make_candidate(owner=riley, name="Ann A")
    auditor = make_user("auditor")
    client = signed_in(app, riley)

    response = client.post("/candidates/reassign", data={
        "candidate_ids": [str(mine.id)], "owner_id": str(auditor.id)})  # fmt: skip

    assert response.status_code == 400
    assert field_error(response.text, "must be the id of an active recruiter; nothing moved")
    session.expire_all()
    assert session.get(Candidate, mine.id).owner_id == riley.id


def test_the_list_offers_the_bulk_form_for_the_rows_you_may_change(app, riley, make_candidate):
    mine = make_candidate(owner=riley, name="Ann A")
    client = signed_in(app, riley)

    page = client.get("/candidates")

    assert f'name="candidate_ids" value="{mine.id}"' in page.text
    assert 'action="/candidates/reassign"' in page.text


# The candidate's page ------------------------------------------------------------------------


@pytest.fixture
def jane_with_a_call(riley, make_candidate, session):
    jane = make_candidate(owner=riley, name="Jane Doe", phone="+442079460958",
                          timezone="Europe/London", email="jane@example.org",
                          external_id="A-17", source="greenhouse")  # fmt: skip
    call = Call(direction="outbound", recruiter_id=riley.id, candidate_id=jane.id,
                company_number=COMPANY_NUMBER, status="completed", disposition="connected",
                talk_duration=42)  # fmt: skip
    session.add(call)
    session.commit()
    return jane, call


def test_a_note_is_chained_and_appears_on_the_timeline(app, riley, jane_with_a_call, session):
    jane, call = jane_with_a_call
    call_id = call.id
    client = signed_in(app, riley)

    text = "Prefers mornings.\nAsk about notice period."
    response = client.post(f"/candidates/{jane.id}/notes", data={"text": text})
    page = client.get(f"/candidates/{jane.id}")

    assert response.status_code == 303
    (note,) = events_of(session, jane, "note.added")
    assert (note.actor_id, note.detail["text"]) == (riley.id, text)
    assert verify_chain(session, CallEvent).ok
    timeline = re.search(r'id="timeline">(.*?)</ol>', page.text, re.S).group(1)
    assert timeline.index("Prefers mornings.") < timeline.index("Call to the candidate")
    assert f'href="/calls/{call_id}"' in timeline
    assert "by Riley Recruiter" in timeline


def test_an_empty_or_long_note_is_refused_next_to_the_field(app, riley, jane_with_a_call, session):
    jane, _call = jane_with_a_call
    client = signed_in(app, riley)

    empty = client.post(f"/candidates/{jane.id}/notes", data={"text": "  "})
    long = client.post(f"/candidates/{jane.id}/notes", data={"text": "x" * 2001})

    assert empty.status_code == 400
    assert field_error(empty.text, "Write the note")
    assert long.status_code == 400
    assert field_error(long.text, "Keep a note under 2000 characters")
    assert events_of(session, jane, "note.added") == []


def test_only_the_owner_adds_notes(app, riley, sam, jane_with_a_call, session):
    jane, _call = jane_with_a_call
    client = signed_in(app, sam)

    response = client.post(f"/candidates/{jane.id}/notes", data={"text": "mine now"})

    assert response.status_code == 403
    assert events_of(session, jane, "note.added") == []


def test_the_page_shows_the_details_local_time_and_the_code_explained(app, riley, jane_with_a_call):
    jane, _call = jane_with_a_call
    app.extensions["clock"] = lambda: datetime(2026, 7, 1, 8, 30, 5, 123456, tzinfo=UTC)
    client = signed_in(app, riley)

    page = client.get(f"/candidates/{jane.id}")

    assert page.status_code == 200
    assert '<dd id="local-time">2026-07-01 09:30:05 BST</dd>' in page.text
    assert "<dd>Europe/London</dd>" in page.text
    assert "jane@example.org" in page.text
    assert "A-17 (greenhouse)" in page.text
    assert f"<strong>{jane.code}</strong>" in page.text
    assert ("Recruiters calling in from their own phone key this code to be connected to the "
            "candidate.") in page.text  # fmt: skip
    assert 'id="edit-candidate"' in page.text
    assert 'class="call"' in page.text
    assert 'id="note-form"' in page.text


def test_times_are_shown_in_the_viewers_timezone_to_the_second(
    app, riley, jane_with_a_call, session
):
    jane, call = jane_with_a_call
    riley.timezone = "America/New_York"
    session.commit()
    client = signed_in(app, riley)
    client.post(f"/candidates/{jane.id}/notes", data={"text": "Prefers mornings."})
    (note,) = events_of(session, jane, "note.added")

    page = client.get(f"/candidates/{jane.id}")

    new_york = ZoneInfo("America/New_York")
    for moment in (note.created_at, call.created_at):
        local = moment.astimezone(new_york)
        assert f">{local.strftime('%Y-%m-%d %H:%M:%S')} {local.tzname()}</time>" in page.text
    assert "times in America/New_York" in page.text
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d", page.text)  # never microseconds
    assert "{'" not in page.text  # never a Python dict


def test_a_recruiter_cannot_open_another_recruiters_candidate(app, sam, jane_with_a_call):
    jane, _call = jane_with_a_call
    client = signed_in(app, sam)

    assert client.get(f"/candidates/{jane.id}").status_code == 403


def test_an_auditor_sees_the_changes_and_the_calls_and_is_recorded(
    app, riley, sam, make_user, jane_with_a_call, session
):
    jane, call = jane_with_a_call
    signed_in(app, riley).post(f"/candidates/{jane.id}/edit",
                               data=edit_form(jane, stage="offer", owner_id=str(sam.id),
                                              reason="moving on"))  # fmt: skip
    auditor = make_user("auditor")

    page = signed_in(app, auditor).get(f"/candidates/{jane.id}")

    assert page.status_code == 200
    timeline = re.search(r'id="timeline">(.*?)</ol>', page.text, re.S).group(1)
    assert "Stage changed" in timeline
    assert "applied → offer (moving on)" in timeline
    assert "Owner changed" in timeline
    assert "Riley Recruiter → Sam Second (moving on)" in timeline
    assert f'href="/calls/{call.id}"' in timeline
    assert 'id="edit-candidate"' not in page.text
    assert 'id="note-form"' not in page.text
    assert 'class="call"' not in page.text
    records = session.scalars(select(AccessRecord)).all()
    assert [(r.user_id, r.action, r.target) for r in records] == [
        (auditor.id, "web.candidate.view", f"candidate:{jane.id}")
    ]


def test_an_admin_sees_the_record_but_not_calls_or_notes(
    app, riley, make_user, jane_with_a_call, session
):
    jane, call = jane_with_a_call
    owner = signed_in(app, riley)
    owner.post(f"/candidates/{jane.id}/notes", data={"text": "Prefers mornings."})
    owner.post(f"/candidates/{jane.id}/edit", data=edit_form(jane, stage="screening"))
    admin = make_user("admin")

    page = signed_in(app, admin).get(f"/candidates/{jane.id}")

    assert page.status_code == 200
    timeline = re.search(r'id="timeline">(.*?)</ol>', page.text, re.S).group(1)
    assert "Stage changed" in timeline
    assert "Prefers mornings." not in page.text
    assert "Call to the candidate" not in page.text
    assert f"/calls/{call.id}" not in page.text
    assert 'id="edit-candidate"' in page.text
    assert 'class="call"' not in page.text
    assert 'id="note-form"' not in page.text
    assert session.scalars(select(AccessRecord)).all() == []


def test_the_navigation_leads_every_role_to_the_candidates(app, riley, make_user):
    for user in (riley, make_user("auditor"), make_user("admin")):
        page = signed_in(app, user).get("/candidates")

        assert '<a href="/candidates">Candidates</a>' in page.text


def test_an_empty_dashboard_points_to_adding_a_candidate(app, riley):
    page = signed_in(app, riley).get("/calls")

    assert 'You have no candidates yet. <a href="/candidates/new">' in page.text
