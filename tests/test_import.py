"""Candidate import (issue 9): a CSV's rows are created, updated (matched on ATS id, then on
phone) or rejected with their line number and reason, from the command line or the upload
page; a dry run writes nothing, and a crash half-way leaves no half-written candidate."""

from __future__ import annotations

import io
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ivr.candidates import importer, records
from ivr.candidates.importer import ImportFileError
from ivr.candidates.records import CandidateError, Rules
from models import Base, CallEvent, Candidate
from models.chain import verify_chain
from tests.test_web_pages import csrf_from, sign_in

US = Rules(region="US", default_timezone="America/Chicago")
HEADER = "name,phone,email,owner_email,stage,timezone,external_id,source\n"


@pytest.fixture
def admin(make_user):
    return make_user("admin", name="Alex Admin", email="admin@example.com")


@pytest.fixture
def riley(make_user):
    return make_user(name="Riley Recruiter", email="riley@example.com")


@pytest.fixture
def sam(make_user):
    return make_user(name="Sam Sourcer", email="sam@example.com")


def run(app, actor, csv_text: str, **options: Any) -> importer.ImportReport:
    return importer.import_candidates(
        app.extensions["db_sessionmaker"], actor, io.StringIO(csv_text, newline=""), US, **options
    )


def candidate_by_name(session: Session, name: str) -> Candidate | None:
    return session.scalar(select(Candidate).where(Candidate.name == name))


def events_of(session: Session, candidate: Candidate) -> list[CallEvent]:
    return list(
        session.scalars(
            select(CallEvent).where(CallEvent.candidate_id == candidate.id).order_by(CallEvent.seq)
        )
    )


def snapshot(session: Session) -> dict[str, list[tuple[str, ...]]]:
    return {
        table.name: sorted(
            tuple(map(repr, row)) for row in session.execute(text(f"SELECT * FROM {table.name}"))
        )  # fmt: skip
        for table in Base.metadata.sorted_tables
    }


# Rows: created, updated, rejected ----------------------------------------------------------


def test_each_row_is_created_updated_or_rejected_with_its_line_and_reason(
    app, session, admin, make_candidate
):
    existing = make_candidate(name="Ada Lovelace", phone="+14155550101")
    csv_text = (
        HEADER
        + "Jane Doe,(415) 555-0133,jane@example.net,,screening,,,\n"
        + "Ada Lovelace,+1 415 555 0101,,,interviewing,,,\n"
        + "Bad Phone,555-01,,,,,,\n"
        + "Bad Stage,(415) 555-0134,,,hired!,,,\n"
    )

    report = run(app, admin, csv_text)

    assert (report.created, report.updated, report.rejected_count) == (1, 1, 2)
    assert report.rejected == [
        (4, "phone: '555-01' is not a valid phone number"),
        (5, "stage: must be one of applied, screening, interviewing, offer, hired, "
            "not_selected, withdrawn"),
    ]  # fmt: skip
    assert report.summary == "created 1, updated 1, rejected 2"
    jane = candidate_by_name(session, "Jane Doe")
    assert (jane.phone, jane.email, jane.stage, jane.owner_id) == (
        "+14155550133", "jane@example.net", "screening", None)  # fmt: skip
    assert jane.timezone == "America/Los_Angeles"
    session.refresh(existing)
    assert existing.stage == "interviewing"
    assert [e.kind for e in events_of(session, existing)] == ["candidate.stage_changed"]
    [created] = events_of(session, jane)
    assert (created.kind, created.actor_id, created.detail["via"]) == (
        "candidate.created", admin.id, "import")  # fmt: skip
    assert candidate_by_name(session, "Bad Stage") is None


def test_a_row_matches_on_its_ats_id_before_its_phone(app, session, admin, make_candidate):
    keyed = make_candidate(name="Kay Keyed", phone="+14155550101", source="greenhouse",
                           external_id="gh-1")  # fmt: skip
    by_phone = make_candidate(name="Pat Phone", phone="+14155550102")
    csv_text = (
        HEADER
        + "Kay Keyed,(415) 555-0109,,,offer,,gh-1,greenhouse\n"
        + "Pat Phone,(415) 555-0102,,,screening,,,\n"
    )

    report = run(app, admin, csv_text)

    assert (report.created, report.updated, report.rejected) == (0, 2, [])
    session.refresh(keyed)
    session.refresh(by_phone)
    assert (keyed.phone, keyed.stage) == ("+14155550109", "offer")
    assert by_phone.stage == "screening"
    assert session.scalar(select(Candidate).where(Candidate.phone == "+14155550101")) is None


def test_a_phone_held_under_another_id_of_the_same_ats_is_rejected(
    app, session, admin, make_candidate
):
    held = make_candidate(phone="+14155550101", source="greenhouse", external_id="gh-1")

    report = run(app, admin, HEADER + "Someone Else,(415) 555-0101,,,,,gh-2,greenhouse\n")

    assert report.rejected == [(2, "phone: this phone belongs to a candidate with another "
                                   "greenhouse id")]  # fmt: skip
    session.refresh(held)
    assert held.external_id == "gh-1"


@pytest.mark.parametrize("batch_size", [1000, 1], ids=["same-batch", "later-batch"])
def test_a_row_repeating_an_earlier_rows_phone_updates_the_candidate_it_made(
    app, session, admin, batch_size
):
    csv_text = HEADER + "Jane Doe,(415) 555-0133,,,applied,,,\nJane Doe,+14155550133,,,offer,,,\n"

    report = run(app, admin, csv_text, batch_size=batch_size)

    assert (report.created, report.updated) == (1, 1)
    [jane] = session.scalars(select(Candidate)).all()
    assert jane.stage == "offer"
    # An offer waits for its answer in the owner's queue (ivr.callflow.owed).
    assert [e.kind for e in events_of(session, jane)] == [
        "candidate.created", "candidate.stage_changed", "owed.opened"]  # fmt: skip


def test_an_owner_change_later_in_the_file_records_who_had_the_candidate(
    app, session, admin, riley, sam
):
    csv_text = (
        HEADER
        + "Jane Doe,(415) 555-0133,,riley@example.com,,,,\n"
        + "Jane Doe,(415) 555-0133,,Sam@Example.com,,,,\n"
    )

    run(app, admin, csv_text)

    jane = candidate_by_name(session, "Jane Doe")
    moved = events_of(session, jane)[-1]
    assert moved.kind == "candidate.owner_changed"
    assert (moved.detail["from"], moved.detail["to"]) == (riley.id, sam.id)
    assert jane.owner_id == sam.id


def test_a_matching_row_that_changes_nothing_is_counted_apart(app, session, admin, make_candidate):
    make_candidate(name="Ada Lovelace", phone="+14155550101", stage="offer")

    report = run(app, admin, HEADER + "Ada Lovelace,(415) 555-0101,,,offer,,,\n")

    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert session.scalar(select(CallEvent.id)) is None


def test_empty_cells_leave_a_candidates_values_as_they_are(app, session, admin, make_candidate):
    ada = make_candidate(name="Ada Lovelace", phone="+14155550101", email="ada@example.net",
                         stage="offer", timezone="Europe/London")  # fmt: skip

    run(app, admin, HEADER + "Ada Lovelace,(415) 555-0101,,,,,,\n")

    session.refresh(ada)
    assert (ada.email, ada.stage, ada.timezone) == ("ada@example.net", "offer", "Europe/London")


def test_extra_columns_are_ignored_and_listed(app, session, admin):
    csv_text = "Name,Notes,Phone, Owner Email ,\nJane Doe,likes tea,(415) 555-0133,,x\n"

    report = run(app, admin, csv_text)

    assert report.ignored_columns == ["Notes", "column 5 (no name)"]
    assert report.created == 1


@pytest.mark.parametrize(
    ("csv_text", "problem"),
    [
        ("name,email\nJane,j@example.net\n", "phone is missing"),
        ("", "the file is empty"),
        ("name;phone\nJane;(415) 555-0133\n", "separated by semicolons"),
        ("name,phone,Phone\n", "names the column phone twice"),
    ],
)
def test_a_file_whose_header_will_not_do_is_refused_and_nothing_written(
    app, session, admin, csv_text, problem
):
    before = snapshot(session)

    with pytest.raises(ImportFileError) as refused:
        run(app, admin, csv_text)

    assert problem in str(refused.value)
    assert snapshot(session) == before


def test_a_row_with_more_cells_than_the_header_is_rejected(app, session, admin):
    csv_text = "name,phone\nSmith, Jane,(415) 555-0133\n\nJane Doe,(415) 555-0134\n"

    report = run(app, admin, csv_text)

    assert report.rejected == [(2, "has 3 cells but the first line names 2 columns (a value "
                                   "with a comma in it needs quotes)")]  # fmt: skip
    assert report.created == 1


def test_a_row_that_is_not_utf8_is_rejected_and_the_others_imported(app, session, admin):
    data = "name,phone\nJosé Latin,(415) 555-0133\nJane Doe,(415) 555-0134\n".encode("latin-1")

    report = importer.import_candidates(
        app.extensions["db_sessionmaker"], admin, importer.open_text(io.BytesIO(data)), US
    )

    assert report.rejected == [(2, 'is not UTF-8 text: save the file as "CSV UTF-8"')]
    assert [c.name for c in session.scalars(select(Candidate))] == ["Jane Doe"]


def test_line_numbers_count_a_quoted_value_over_two_lines_as_two(app, session, admin):
    csv_text = 'name,phone\n"Jane\nDoe",(415) 555-0133\nBob,555\n'

    report = run(app, admin, csv_text)

    assert report.rejected == [(2, "name: must not contain control characters"),
                               (4, "phone: '555' is not a valid phone number")]  # fmt: skip


# Owners and permissions --------------------------------------------------------------------


def test_owner_email_names_an_active_recruiter_and_an_unknown_one_is_rejected(
    app, session, admin, riley, make_user
):
    make_user("recruiter", email="gone@example.com", is_active=False)
    csv_text = (
        HEADER
        + "Jane Doe,(415) 555-0133,,Riley@Example.com,,,,\n"
        + "Bob Gone,(415) 555-0134,,gone@example.com,,,,\n"
        + "Al Auditor,(415) 555-0135,,admin@example.com,,,,\n"
    )

    report = run(app, admin, csv_text)

    assert candidate_by_name(session, "Jane Doe").owner_id == riley.id
    assert report.rejected == [
        (3, "owner_email: no active recruiter with email gone@example.com"),
        (4, "owner_email: no active recruiter with email admin@example.com"),
    ]


def test_a_recruiters_new_candidates_are_theirs_unless_owner_email_names_another(
    app, session, riley, sam
):
    csv_text = (
        HEADER + "Mine Too,(415) 555-0133,,,,,,\nFor Sam,(415) 555-0134,,sam@example.com,,,,\n"
    )

    run(app, riley, csv_text)

    assert candidate_by_name(session, "Mine Too").owner_id == riley.id
    assert candidate_by_name(session, "For Sam").owner_id == sam.id


def test_a_recruiter_cannot_update_another_recruiters_candidate(
    app, session, riley, sam, make_candidate
):
    sams = make_candidate(owner=sam, name="Sam's Own", phone="+14155550101")

    report = run(app, riley, HEADER + "Sam's Own,(415) 555-0101,,,offer,,,\n")

    assert report.rejected == [(2, "only the candidate's owner or an admin may change it "
                                   "(the row matches an existing candidate by phone)")]  # fmt: skip
    session.refresh(sams)
    assert sams.stage == "applied"


def test_the_default_owner_owns_new_rows_without_owner_email_and_moves_no_one(
    app, session, admin, riley, sam, make_candidate
):
    existing = make_candidate(owner=sam, name="Sam's Own", phone="+14155550101")
    csv_text = HEADER + "New One,(415) 555-0133,,,,,,\nSam's Own,(415) 555-0101,,,offer,,,\n"

    run(app, admin, csv_text, default_owner=riley)

    assert candidate_by_name(session, "New One").owner_id == riley.id
    session.refresh(existing)
    assert (existing.owner_id, existing.stage) == (sam.id, "offer")


def test_an_auditor_cannot_import(app, make_user):
    with pytest.raises(CandidateError) as refused:
        run(app, make_user("auditor"), HEADER)

    assert refused.value.status == 403


def test_a_refused_update_leaves_the_candidate_as_it_was(session, riley, make_candidate):
    # The importer goes on to the next row in the same transaction: a refusal must come
    # before the first change, or half of a rejected row would be written with the batch.
    keyed = make_candidate(owner=riley, phone="+14155550102", source="greenhouse",
                           external_id="gh-9")  # fmt: skip
    jane = make_candidate(owner=riley, phone="+14155550101", timezone="America/Los_Angeles")
    fields = records.parse_fields(
        {"phone": "+44 20 7946 0958", "source": "greenhouse", "external_id": "gh-9"}, US
    )

    with pytest.raises(CandidateError):
        records.update_candidate(session, riley, jane, fields, US, via="test")

    assert (jane.phone, jane.timezone, jane.external_id) == (
        "+14155550101", "America/Los_Angeles", None)  # fmt: skip
    assert keyed.external_id == "gh-9"


# Dry run and crashes -----------------------------------------------------------------------


def test_a_dry_run_reports_what_it_would_do_and_writes_nothing(app, session, admin, make_candidate):
    make_candidate(name="Ada Lovelace", phone="+14155550101")
    csv_text = (
        HEADER
        + "Jane Doe,(415) 555-0133,,,,,,\n"
        + "Ada Lovelace,(415) 555-0101,,,offer,,,\n"
        + "Bad Phone,555,,,,,,\n"
    )
    before = snapshot(session)

    report = run(app, admin, csv_text, dry_run=True, batch_size=2)

    assert report.summary == "dry run: would create 1, update 1, reject 1"
    assert report.rejected == [(4, "phone: '555' is not a valid phone number")]
    assert snapshot(session) == before


def test_every_imported_candidate_comes_with_its_created_event_and_the_chain_verifies(
    app, session, admin
):
    rows = "".join(f"Person {n},(415) 555-{n:04d},,,,,,\n" for n in range(200, 225))

    report = run(app, admin, HEADER + rows, batch_size=10)

    candidates = session.scalars(select(Candidate)).all()
    created = session.scalars(select(CallEvent).where(CallEvent.kind == "candidate.created"))
    assert report.created == len(candidates) == 25
    assert sorted(e.candidate_id for e in created) == sorted(c.id for c in candidates)
    assert len({c.code for c in candidates}) == 25
    assert verify_chain(session, CallEvent).ok


@pytest.mark.expected_errors
def test_a_crash_half_way_leaves_no_candidate_without_its_created_event(
    app, session, admin, monkeypatch
):
    create = records.create_candidate

    def crash_on_purpose(session, actor, fields, rules, **kwargs):  # type: ignore[no-untyped-def]
        if fields["name"] == "Crash Here":
            raise RuntimeError("the machine went away")
        return create(session, actor, fields, rules, **kwargs)

    monkeypatch.setattr(records, "create_candidate", crash_on_purpose)
    csv_text = HEADER + "".join(
        f"{name},(415) 555-{200 + n:04d},,,,,,\n"
        for n, name in enumerate(["Ann One", "Bob Two", "Cat Three", "Crash Here", "Eve Five"])
    )

    with pytest.raises(RuntimeError):
        run(app, admin, csv_text, batch_size=2)

    names = sorted(c.name for c in session.scalars(select(Candidate)))
    created = session.scalars(select(CallEvent).where(CallEvent.kind == "candidate.created"))
    assert names == ["Ann One", "Bob Two"]
    assert sorted(e.candidate_id for e in created) == sorted(
        session.scalars(select(Candidate.id)).all()
    )
    assert verify_chain(session, CallEvent).ok


# The command line --------------------------------------------------------------------------


def write(tmp_path, content: str | bytes):  # type: ignore[no-untyped-def]
    path = tmp_path / "candidates.csv"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def test_the_command_prints_rejections_ignored_columns_and_the_summary(
    app, session, admin, tmp_path
):
    path = write(tmp_path, "\ufeffname,phone,notes\nJane Doe,(415) 555-0133,hi\nBob,555,\n")

    result = app.test_cli_runner().invoke(args=["import-candidates", str(path)])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "line 3: phone: '555' is not a valid phone number",
        "ignored columns: notes",
        "created 1, updated 0, rejected 1",
    ]
    jane = candidate_by_name(session, "Jane Doe")
    assert events_of(session, jane)[0].actor_id == admin.id


def test_the_command_gives_new_candidates_to_the_owner_named(app, session, admin, riley, tmp_path):
    path = write(tmp_path, "name,phone\nJane Doe,(415) 555-0133\n")

    result = app.test_cli_runner().invoke(
        args=["import-candidates", str(path), "--owner", "riley@example.com"]
    )

    assert result.exit_code == 0, result.output
    assert candidate_by_name(session, "Jane Doe").owner_id == riley.id


def test_the_command_records_the_import_as_the_user_named(app, session, admin, riley, tmp_path):
    path = write(tmp_path, "name,phone\nJane Doe,(415) 555-0133\n")

    result = app.test_cli_runner().invoke(
        args=["import-candidates", str(path), "--as", "riley@example.com"]
    )

    assert result.exit_code == 0, result.output
    jane = candidate_by_name(session, "Jane Doe")
    assert (jane.owner_id, events_of(session, jane)[0].actor_id) == (riley.id, riley.id)


def test_the_command_dry_run_writes_nothing(app, session, admin, tmp_path):
    path = write(tmp_path, "name,phone\nJane Doe,(415) 555-0133\n")
    before = snapshot(session)

    result = app.test_cli_runner().invoke(args=["import-candidates", str(path), "--dry-run"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "dry run: would create 1, update 0, reject 0"
    assert snapshot(session) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [("name,email\nJane,j@example.net\n", "phone is missing"), (None, "cannot read")],
    ids=["missing-column", "no-such-file"],
)
def test_the_command_exits_1_when_the_file_will_not_do(
    app, session, admin, tmp_path, content, message
):
    path = write(tmp_path, content) if content else tmp_path / "nowhere.csv"

    result = app.test_cli_runner().invoke(args=["import-candidates", str(path)])

    assert result.exit_code == 1
    assert message in result.output
    assert session.scalar(select(Candidate.id)) is None


def test_the_command_needs_someone_to_record_the_import_as(app, session, tmp_path):
    path = write(tmp_path, "name,phone\nJane Doe,(415) 555-0133\n")

    result = app.test_cli_runner().invoke(args=["import-candidates", str(path)])

    assert result.exit_code == 2
    assert "no active admin" in result.output
    assert session.scalar(select(Candidate.id)) is None


# The upload page ---------------------------------------------------------------------------


class _Report(HTMLParser):
    """The page's report: the text of each element with an id (the summary line, the ignored
    columns, the error), and the cells of the rejected rows table."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}

    def __init__(self, html: str) -> None:
        super().__init__()
        self.ids: dict[str, str] = {}
        self.rows: list[list[str]] = []
        self._open: list[str | None] = []
        self._in_cell = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        element_id = dict(attrs).get("id")
        self._open.append(element_id)
        if element_id:
            self.ids[element_id] = ""
        inside_rejected = "rejected-rows" in self._open
        if inside_rejected and tag == "tr":
            self.rows.append([])
        if inside_rejected and tag == "td":
            self.rows[-1].append("")
            self._in_cell = True

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        self._in_cell = self._in_cell and tag != "td"
        self._open.pop()

    def handle_data(self, data: str) -> None:
        for element_id in filter(None, self._open):
            self.ids[element_id] += data
        if self._in_cell:
            self.rows[-1][-1] += data


def upload(client, content: bytes, *, dry_run: bool = False):  # type: ignore[no-untyped-def]
    page = client.get("/candidates/import")
    data: dict[str, Any] = {
        "csrf_token": csrf_from(page.get_data(as_text=True)),
        "file": (io.BytesIO(content), "candidates.csv"),
    }
    if dry_run:
        data["dry_run"] = "y"
    return client.post("/candidates/import", data=data, content_type="multipart/form-data")


@pytest.fixture
def web_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def test_an_admin_uploads_a_csv_and_reads_the_report(web_app, session, admin):
    client = web_app.test_client()
    sign_in(client, "admin@example.com")
    content = b"name,phone,notes\nJane Doe,(415) 555-0133,hi\nBob,555,\n"

    response = upload(client, content)

    assert response.status_code == 200
    report = _Report(response.get_data(as_text=True))
    assert report.ids["import-summary"].strip() == "created 1, updated 0, rejected 1"
    assert [row for row in report.rows if row] == [
        ["3", "phone: '555' is not a valid phone number"]
    ]
    assert report.ids["ignored-columns"].strip() == "Ignored columns: notes"
    jane = candidate_by_name(session, "Jane Doe")
    assert (jane.owner_id, events_of(session, jane)[0].actor_id) == (None, admin.id)


def test_a_recruiter_uploads_a_csv_and_the_new_candidates_are_theirs(web_app, session, riley):
    client = web_app.test_client()
    sign_in(client, "riley@example.com")

    response = upload(client, b"name,phone\nJane Doe,(415) 555-0133\n")

    report = _Report(response.get_data(as_text=True))
    assert report.ids["import-summary"].strip() == "created 1, updated 0, rejected 0"
    assert candidate_by_name(session, "Jane Doe").owner_id == riley.id


def test_a_dry_run_upload_reports_and_writes_nothing(web_app, session, riley):
    client = web_app.test_client()
    sign_in(client, "riley@example.com")
    before = snapshot(session)

    response = upload(client, b"name,phone\nJane Doe,(415) 555-0133\n", dry_run=True)

    report = _Report(response.get_data(as_text=True))
    assert report.ids["import-summary"].strip() == "dry run: would create 1, update 0, reject 0"
    assert snapshot(session) == before


def test_an_upload_without_the_required_columns_says_why(web_app, session, riley):
    client = web_app.test_client()
    sign_in(client, "riley@example.com")

    response = upload(client, b"name,email\nJane,j@example.net\n")

    assert response.status_code == 400
    assert "phone is missing" in _Report(response.get_data(as_text=True)).ids["import-error"]
    assert session.scalar(select(Candidate.id)) is None


def test_an_upload_over_the_size_limit_is_refused_with_the_limit(web_app, session, riley):
    web_app.config["IVR_MAX_UPLOAD_BYTES"] = 256 * 1024  # the test client spools above 500 KB
    client = web_app.test_client()
    sign_in(client, "riley@example.com")
    rows = b"".join(b"Person %d,(415) 555-%04d\n" % (n, n % 10000) for n in range(12_000))

    response = upload(client, b"name,phone\n" + rows)

    assert response.status_code == 413
    assert "larger than 0.25 MB" in _Report(response.get_data(as_text=True)).ids["import-error"]
    assert session.scalar(select(Candidate.id)) is None


def test_a_post_without_a_file_asks_for_one(web_app, session, riley):
    client = web_app.test_client()
    sign_in(client, "riley@example.com")
    page = client.get("/candidates/import").get_data(as_text=True)

    response = client.post("/candidates/import", data={"csrf_token": csrf_from(page)})

    assert response.status_code == 400
    assert "Choose a CSV file to import." in response.get_data(as_text=True)
