"""Issue 5, in a browser: an auditor signs in, filters the log, opens a call's timeline and
downloads the CSV of the filtered view."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from models import AccessRecord, Call, CallEvent
from tests.fixtures.twilio import COMPANY_NUMBER


def test_auditor_filters_opens_a_timeline_and_downloads_csv(
    live_app, page, session, make_user, make_candidate
):
    make_user("auditor", name="Ada Auditor", email="ada@example.com")
    riley = make_user(name="Riley Recruiter")
    ann = make_candidate(owner=riley, name="Ann Applicant")
    calls = {}
    for direction, minute in (("outbound", 0), ("inbound", 5), ("outbound", 10)):
        call = Call(direction=direction, recruiter_id=riley.id, candidate_id=ann.id,
                    company_number=COMPANY_NUMBER, status="completed",
                    created_at=datetime(2026, 11, 20, 9, minute, tzinfo=UTC))  # fmt: skip
        session.add(call)
        session.flush()
        session.add(CallEvent(call_id=call.id, kind="call.answered", source="twilio",
                              payload={"CallStatus": "in-progress"}))  # fmt: skip
        calls[minute] = call
    session.commit()

    page.goto(f"{live_app}/login")
    page.fill("input[name=email]", "ada@example.com")
    page.fill("input[name=password]", "password-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_app}/log")

    page.select_option("select[name=direction]", "inbound")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**direction=inbound**")
    rows = page.locator("#call-log tbody tr")
    assert rows.count() == 1
    assert rows.first.get_attribute("data-call-id") == str(calls[5].id)

    rows.first.locator("a").first.click()
    page.wait_for_url(f"{live_app}/calls/{calls[5].id}")
    timeline = page.locator("#timeline li")
    assert timeline.count() == 1
    assert timeline.first.get_attribute("data-kind") == "call.answered"

    page.go_back()
    page.wait_for_url("**direction=inbound**")
    with page.expect_download() as download_info:
        page.click("#export-csv")
    content = Path(download_info.value.path()).read_text(encoding="utf-8")
    header, *lines = list(csv.reader(io.StringIO(content)))
    assert header[:3] == ["call_id", "created_at", "direction"]
    assert [line[0] for line in lines] == [str(calls[5].id)]
    assert lines[0][1] == "2026-11-20T09:05:00Z"

    actions = session.scalars(select(AccessRecord.action).order_by(AccessRecord.seq)).all()
    assert actions[:3] == ["web.log.view", "web.log.view", "web.call.view"]
    assert actions[-1] == "web.log.export"
