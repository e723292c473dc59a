"""Issue 9, on a phone: every role's main pages, and the error pages, at 390 x 844. Nothing is
wider than the screen (wide tables scroll inside themselves) and the controls a person needs
are on the screen."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from ivr.callflow.events import record_change
from models import Call, CallEvent
from tests.fixtures.twilio import COMPANY_NUMBER

pytestmark = pytest.mark.browser
WIDTH, HEIGHT = 390, 844


@pytest.fixture
def phone(browser) -> Iterator[Callable[[], Page]]:
    contexts = []

    def open_page() -> Page:
        context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def team(make_user, make_candidate, session):
    """People and records with long names and values, the kind that push a page wide."""
    riley = make_user(name="Riley Extraordinarily-Long-Surname Recruiter", hunt_order=1,
                      email="riley.with.a.very.long.address@recruiting.example.com")  # fmt: skip
    make_user("auditor", name="Ada Auditor", email="ada@example.com", timezone="Asia/Tokyo")
    root = make_user("admin", name="Root Admin", email="root@example.com")
    ann = make_candidate(owner=riley, name="Annabelle Applicant-With-A-Double-Barrelled-Name")
    call = Call(direction="outbound", recruiter_id=riley.id, candidate_id=ann.id,
                company_number=COMPANY_NUMBER, status="completed", talk_duration=42,
                parent_sid="CA" + "a" * 32, child_sid="CA" + "b" * 32)  # fmt: skip
    session.add(call)
    session.flush()
    session.add(CallEvent(call_id=call.id, kind="twilio.status", source="twilio",
                          payload={"CallSid": "CA" + "a" * 32, "CallStatus": "completed",
                                   "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/"
                                   + "AC" + "1" * 32 + "/Recordings/RE" + "2" * 32},
                          detail={"status": "completed"}))  # fmt: skip
    record_change(session, "user.changed", actor=root, subject=f"user:{riley.id}",
                  detail={"fields": ["name", "hunt_order"],
                          "changes": {"hunt_order": {"from": None, "to": 1}}})  # fmt: skip
    session.commit()
    return {"riley": riley, "ann": ann, "call": call}


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "password-123")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def assert_fits(page: Page, *controls: str) -> None:
    """No sideways scrolling of the page, and each control shown within the screen's width."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} is {width} px wide"
    for selector in ("header button:has-text('Sign out')", *controls):
        control = page.locator(selector).first
        expect(control).to_be_visible()
        box = control.bounding_box()
        assert box is not None
        assert box["x"] >= 0, f"{selector} on {page.url} starts off the screen: {box}"
        assert box["x"] + box["width"] <= WIDTH, f"{selector} on {page.url} ends off it: {box}"


def test_a_recruiters_pages_fit_a_phone(live_app, phone, team):
    page = phone()
    sign_in(page, live_app, team["riley"].email)
    call, ann = team["call"], team["ann"]

    pages = {
        "/calls": (f"#candidate-{ann.id} button.call", "a:has-text('My calls')"),
        "/log": ("form.filters button[type=submit]",),
        f"/calls/{call.id}": ("#timeline li",),
        f"/candidates/{ann.id}": ("h1",),
        "/me/settings": ("#my-settings input[name=timezone]", "#my-settings button"),
    }

    for path, controls in pages.items():
        page.goto(live_app + path)
        assert_fits(page, *controls)


def test_an_auditors_pages_fit_a_phone(live_app, phone, team):
    page = phone()
    sign_in(page, live_app, "ada@example.com")
    call, ann = team["call"], team["ann"]

    pages = {
        "/log": ("form.filters button[type=submit]", f"tr[data-call-id='{call.id}'] a"),
        "/log/changes": ("a:has-text('Changes')", "#changes tbody tr"),
        f"/calls/{call.id}": ("#timeline li",),
        f"/candidates/{ann.id}": ("h1",),
        "/me/settings": ("#my-settings button",),
    }

    for path, controls in pages.items():
        page.goto(live_app + path)
        assert_fits(page, *controls)


def test_an_admins_pages_fit_a_phone(live_app, phone, team):
    page = phone()
    sign_in(page, live_app, "root@example.com")
    riley = team["riley"]

    pages = {
        "/admin/users": (f"#user-{riley.id} summary", "#new-user button[type=submit]"),
        "/admin/outcome-codes": ("tr[data-digit='4'] a", "#outcome-code button[type=submit]"),
        "/admin/access": ("h1",),
        "/admin/settings": ("dl.facts",),
        "/me/settings": ("#my-settings button",),
    }

    for path, controls in pages.items():
        page.goto(live_app + path)
        assert_fits(page, *controls)


def test_an_admin_changes_a_user_on_a_phone(live_app, phone, team, session):
    page = phone()
    sign_in(page, live_app, "root@example.com")
    riley = team["riley"]
    page.goto(f"{live_app}/admin/users")

    page.click(f"#user-{riley.id} summary")
    page.uncheck(f"#edit-{riley.id} input[type=checkbox][name=u{riley.id}-is_available]")
    page.fill(f"#edit-{riley.id} input[name=u{riley.id}-timezone]", "Europe/Lisbon")
    page.click(f"#edit-{riley.id} button[type=submit]")

    expect(page.locator(".flash.info")).to_contain_text("Saved Riley")
    assert_fits(page, f"#user-{riley.id} summary")
    session.refresh(riley)
    assert (riley.is_available, riley.timezone, riley.is_active) == (False, "Europe/Lisbon", True)


def test_the_error_pages_fit_a_phone_and_lead_back(live_app, phone, team):
    signed_out, recruiter = phone(), phone()
    sign_in(recruiter, live_app, team["riley"].email)

    signed_out.goto(f"{live_app}/no-such-page")
    recruiter.goto(f"{live_app}/admin/users")

    expect(signed_out.locator("h1")).to_have_text("We could not find that page")
    assert signed_out.evaluate("document.documentElement.scrollWidth") <= WIDTH
    signed_out.click("#way-back")
    signed_out.wait_for_url(f"{live_app}/login")
    expect(recruiter.locator("h1")).to_have_text("This page is not open to you")
    assert_fits(recruiter, "#way-back")
    recruiter.click("#way-back")
    recruiter.wait_for_url(f"{live_app}/calls")


def test_a_missing_page_when_signed_in_leads_home(live_app, phone, team):
    page = phone()
    sign_in(page, live_app, "ada@example.com")

    page.goto(f"{live_app}/calls/999999")

    expect(page.locator("h1")).to_have_text("We could not find that page")
    assert_fits(page, "#way-back")
    page.click("#way-back")
    page.wait_for_url(f"{live_app}/log")
