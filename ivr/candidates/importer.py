"""Importing candidates from a CSV file: each row creates a candidate, updates one (matched on
its ATS id, then on its phone) or is rejected with its line number and the reason.

Rows pass the same rules as every other surface (records.py), a batch at a time: each batch
is one transaction with one flush (records.CandidateBatch), so a crash half-way leaves every
candidate with its "candidate.created" event or neither, and the chain whole. The file is
read as a stream and each batch has its own session, so memory stays flat however long the
file; a batch is committed before the next is read, so a row repeating an earlier row's phone
(or ATS id) updates the candidate that row made."""

from __future__ import annotations

import csv
import io
import itertools
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr.candidates import records
from ivr.candidates.records import CandidateError, Rules
from ivr.permissions import can_create_candidates, may_own_candidates
from models import User

log = logging.getLogger(__name__)

COLUMNS = ("name", "phone", "email", "owner_email", "stage", "timezone", "external_id", "source")
REQUIRED = ("name", "phone")
# Optional cells: an empty one leaves the candidate's value as it is (a new one: the default).
OPTIONAL = ("email", "stage", "timezone", "external_id", "source")
BATCH_SIZE = 1000
# The report keeps the first rejections for a page to show; `on_rejected` hears every one.
KEPT_REJECTIONS = 1000
# A batch that loses a race (a phone, ATS id or dial-in code taken by another writer between
# its reads and its flush) is rolled back and run again; the second run sees the winner.
ATTEMPTS = 3
VIA = "import"


class ImportFileError(Exception):
    """The file cannot be imported at all (no header, missing required columns); nothing of
    it was written. str() says why, in words for the person who chose the file."""


@dataclass
class ImportReport:
    dry_run: bool = False
    created: int = 0
    updated: int = 0
    # Rows that matched a candidate and changed nothing (it already read so).
    unchanged: int = 0
    rejected_count: int = 0
    # (line, reason), in file order: the first KEPT_REJECTIONS of them.
    rejected: list[tuple[int, str]] = field(default_factory=list)
    # Header columns that are not candidate columns, as the file spells them.
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        if self.dry_run:
            return (
                f"dry run: would create {self.created}, update {self.updated}, "
                f"reject {self.rejected_count}"
            )
        return f"created {self.created}, updated {self.updated}, rejected {self.rejected_count}"

    @property
    def rejections_not_kept(self) -> int:
        return self.rejected_count - len(self.rejected)


@dataclass(frozen=True)
class _Row:
    line: int  # where the record starts in the file; the header is line 1
    cells: list[str]
    problem: str | None = None


@dataclass
class _BatchOutcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


def open_text(binary: IO[bytes]) -> io.TextIOWrapper:
    """A binary upload or file as CSV text: UTF-8 with or without Excel's byte-order mark.
    Bytes that are not UTF-8 become U+FFFD and their row is rejected, not the whole file.
    The caller detaches the wrapper when done, so the stream underneath stays the caller's."""
    return io.TextIOWrapper(binary, encoding="utf-8-sig", errors="replace", newline="")


def import_candidates(
    session_factory: Callable[[], Session],
    actor: User,
    stream: Iterable[str],
    rules: Rules,
    *,
    default_owner: User | None = None,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    on_rejected: Callable[[int, str], None] | None = None,
) -> ImportReport:
    """Import the CSV text in `stream` (opened with newline=""), acting as `actor`.

    `default_owner` owns new candidates whose row names no owner_email. A dry run does all
    the same work batch by batch and rolls each batch back: it writes nothing. (It cannot
    see what earlier batches would have created, so a row repeating the phone or ATS id of
    a new candidate more than a batch further up counts as a create there, an update in
    the real import.) Raises ImportFileError before writing anything when the header will
    not do; `on_rejected(line, reason)` hears each rejection once its batch is done."""
    if not can_create_candidates(actor):
        raise CandidateError(None, "only recruiters and admins import candidates", 403)
    if default_owner is not None and not may_own_candidates(default_owner):
        raise CandidateError("owner", "the default owner must be an active recruiter")
    reader = csv.reader(stream)
    positions, ignored = _read_header(reader)
    report = ImportReport(dry_run=dry_run, ignored_columns=ignored)
    rows = _read_rows(reader, len(positions) + len(ignored), positions)
    while chunk := list(itertools.islice(rows, batch_size)):
        outcome = _run_batch(
            session_factory,
            actor.id,
            default_owner.id if default_owner else None,
            chunk,
            positions,
            rules,
            dry_run,
        )
        _add(report, outcome, on_rejected)
    log.info(
        "candidate import by user %s: %s (%s unchanged)",
        actor.id,
        report.summary,
        report.unchanged,
    )
    return report


def _add(
    report: ImportReport,
    outcome: _BatchOutcome,
    on_rejected: Callable[[int, str], None] | None,
) -> None:
    report.created += outcome.created
    report.updated += outcome.updated
    report.unchanged += outcome.unchanged
    for line, reason in sorted(outcome.rejected):
        report.rejected_count += 1
        if len(report.rejected) < KEPT_REJECTIONS:
            report.rejected.append((line, reason))
        if on_rejected is not None:
            on_rejected(line, reason)


# Reading ---------------------------------------------------------------------------------


def _column_name(text: str) -> str:
    """ "Owner Email", " owner-email " and "owner_email" all name owner_email."""
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def _read_header(reader: Any) -> tuple[dict[str, int], list[str]]:
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError(
            f"the file is empty: its first line names the columns ({', '.join(COLUMNS)})"
        ) from None
    except csv.Error as exc:
        raise ImportFileError(f"line 1 is not readable as CSV ({exc})") from None
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, text in enumerate(header):
        name = _column_name(text)
        if name in COLUMNS:
            if name in positions:
                raise ImportFileError(f"the first line names the column {name} twice")
            positions[name] = index
        else:
            ignored.append(text.strip() or f"column {index + 1} (no name)")
    missing = [name for name in REQUIRED if name not in positions]
    if missing:
        hint = ""
        if len(header) == 1 and ";" in header[0]:
            hint = " (it looks separated by semicolons: save it as CSV with commas)"
        raise ImportFileError(
            f"the first line must name the columns {' and '.join(REQUIRED)}; "
            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing{hint}. "
            f"Columns read: {', '.join(COLUMNS)}"
        )
    return positions, ignored


def _read_rows(reader: Any, width: int, positions: dict[str, int]) -> Iterator[_Row]:
    """Each record with the line it starts on; blank lines (and all-empty rows) skipped."""
    used = sorted(positions.values())
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if reader.line_num < line:  # nothing consumed: it would fail the same way again
                raise ImportFileError(f"line {line} is not readable as CSV ({exc})") from None
            yield _Row(line, [], f"not readable as CSV ({exc})")
            continue
        if not any(cell.strip() for cell in cells):
            continue
        if any(cell.strip() for cell in cells[width:]):
            yield _Row(line, [], f"has {len(cells)} cells but the first line names {width} "
                                 "columns (a value with a comma in it needs quotes)")  # fmt: skip
            continue
        if any("\ufffd" in cells[i] for i in used if i < len(cells)):
            yield _Row(line, [], 'is not UTF-8 text: save the file as "CSV UTF-8"')
            continue
        yield _Row(line, cells)


def _row_data(cells: list[str], positions: dict[str, int]) -> tuple[dict[str, str], str | None]:
    """The row as fields for records.parse_fields, and its owner_email (or None)."""
    values = {name: cells[i].strip() if i < len(cells) else "" for name, i in positions.items()}
    data = {"name": values["name"], "phone": values["phone"]}
    data.update({name: values[name] for name in OPTIONAL if values.get(name)})
    return data, values.get("owner_email") or None


def _reason(exc: CandidateError) -> str:
    name = "owner_email" if exc.field == "owner_id" else exc.field
    return f"{name}: {exc.reason}" if name else exc.reason


# Writing ---------------------------------------------------------------------------------


def _run_batch(
    session_factory: Callable[[], Session],
    actor_id: int,
    default_owner_id: int | None,
    rows: list[_Row],
    positions: dict[str, int],
    rules: Rules,
    dry_run: bool,
) -> _BatchOutcome:
    """One batch, one transaction: committed whole, or (dry run, or an error) not at all."""
    for attempt in range(1, ATTEMPTS + 1):
        with session_factory() as session:
            try:
                outcome = _apply_batch(session, actor_id, default_owner_id, rows, positions, rules)
                if dry_run:
                    session.rollback()
                else:
                    session.commit()
                return outcome
            except IntegrityError:
                session.rollback()
                if attempt == ATTEMPTS:
                    raise
                log.warning(
                    "candidate import: lines %s-%s lost a race with another writer; again",
                    rows[0].line,
                    rows[-1].line,
                )
    raise AssertionError("unreachable")


def _apply_batch(
    session: Session,
    actor_id: int,
    default_owner_id: int | None,
    rows: list[_Row],
    positions: dict[str, int],
    rules: Rules,
) -> _BatchOutcome:
    outcome = _BatchOutcome()
    actor = session.get(User, actor_id)
    assert actor is not None
    default_owner = session.get(User, default_owner_id) if default_owner_id else None
    parsed: list[tuple[int, dict[str, Any], str | None]] = []
    for row in rows:
        if row.problem is not None:
            outcome.rejected.append((row.line, row.problem))
            continue
        data, owner_email = _row_data(row.cells, positions)
        try:
            parsed.append((row.line, records.parse_fields(data, rules), owner_email))
        except CandidateError as exc:
            outcome.rejected.append((row.line, _reason(exc)))
    owners = _recruiters_by_email(session, {email for _, _, email in parsed if email})
    batch = records.CandidateBatch(
        session, [(f["phone"], f.get("source"), f.get("external_id")) for _, f, _ in parsed]
    )
    with session.no_autoflush:
        for line, fields, owner_email in parsed:
            try:
                result = _apply_row(
                    session, actor, batch, fields, owner_email, owners, default_owner, rules
                )
            except CandidateError as exc:
                outcome.rejected.append((line, _reason(exc)))
                continue
            setattr(outcome, result, getattr(outcome, result) + 1)
    session.flush()  # every candidate and event of the batch: sealed under one lock
    return outcome


def _recruiters_by_email(session: Session, emails: set[str]) -> dict[str, User]:
    if not emails:
        return {}
    users = session.scalars(select(User).where(User.email.in_({e.lower() for e in emails})))
    return {user.email: user for user in users if may_own_candidates(user)}


def _apply_row(
    session: Session,
    actor: User,
    batch: records.CandidateBatch,
    fields: dict[str, Any],
    owner_email: str | None,
    owners: dict[str, User],
    default_owner: User | None,
    rules: Rules,
) -> str:
    """Create or update the row's candidate: "created", "updated" or "unchanged"."""
    if owner_email is not None:
        owner = owners.get(owner_email.lower())
        if owner is None:
            raise CandidateError("owner_email", f"no active recruiter with email {owner_email}")
        fields["owner_id"] = owner.id
    source, external_id = fields.get("source"), fields.get("external_id")
    found, matched_on = records.find_match(
        session, source, external_id, fields["phone"], batch=batch
    )
    if matched_on == "conflict":
        assert found is not None
        assert source is not None
        raise records.conflict(found, source)
    if found is None:
        if "owner_id" not in fields and default_owner is not None:
            fields["owner_id"] = default_owner.id
        records.create_candidate(session, actor, fields, rules, via=VIA, batch=batch)
        return "created"
    try:
        events = records.update_candidate(
            session, actor, found, fields, rules, via=VIA, batch=batch
        )
    except CandidateError as exc:
        on = "ATS id" if matched_on == "external_id" else "phone"
        raise CandidateError(
            exc.field, f"{exc.reason} (the row matches an existing candidate by {on})"
        ) from None
    return "updated" if events else "unchanged"
