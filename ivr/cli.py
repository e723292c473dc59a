"""Operator commands: flask --app ivr init-db | create-user | seed-demo | import-candidates
| audit verify | purge-webhook-deliveries."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr import spool, system
from ivr.candidates.importer import ImportFileError, import_candidates, open_text
from ivr.candidates.records import CandidateError, Rules
from ivr.config import settings
from ivr.db import session_scope
from ivr.heads import PublishError, publish_heads
from ivr.migrate import upgrade_to_head
from ivr.permissions import can_create_candidates, may_own_candidates
from models import ROLES, ApiToken, CallEvent, Candidate, Role, User
from models.audit import CHAINS, chain_heads
from models.candidate import new_candidate_code
from models.chain import verify_chain
from models.seal import unsealed_changes


def init_app(app: Flask) -> None:
    app.cli.add_command(init_db)
    app.cli.add_command(create_user)
    app.cli.add_command(seed_demo)
    app.cli.add_command(audit)
    app.cli.add_command(import_candidates_command)
    app.cli.add_command(spool_group)
    app.cli.add_command(purge_webhook_deliveries)


@click.group("spool")
def spool_group() -> None:
    """Webhooks the database could not take, kept for replay (see ivr.spool)."""


@spool_group.command("status")
@with_appcontext
def spool_status() -> None:
    """Counts, and each spooled delivery (oldest first) with its last error."""
    the_spool = spool.spool_of(current_app)
    counts = the_spool.counters()
    click.echo(", ".join(f"{name} {value}" for name, value in sorted(counts.items())))
    for item in the_spool.pending():
        click.echo(f"#{item.id} {item.received_at} {item.method} {item.path} "
                   f"attempts {item.attempts}: {item.error}")  # fmt: skip


@spool_group.command("replay")
@with_appcontext
def spool_replay() -> None:
    """Replay spooled webhooks in order; exit 1 if one fails again (it stays spooled)."""
    report = spool.replay(current_app)
    click.echo(f"replayed {report.replayed}, failed {report.failed}, left {report.left}")
    if report.failed:
        raise SystemExit(1)


@click.group()
def audit() -> None:
    """Check that the call log has not been tampered with."""


@audit.command("verify")
@click.option(
    "--expect-head",
    "expect_heads",
    multiple=True,
    metavar="TABLE=HASH",
    help="a head recorded earlier outside this database (as `audit heads` prints it), e.g. "
    "call_events=ab12…; repeat for each chain. Catches rows cut off the end. A bare HASH is "
    "the call-event chain's.",
)
@with_appcontext
def audit_verify(expect_heads: tuple[str, ...]) -> None:
    """Walk the call-event, access-record and call-seal hash chains, then hold every call to
    its newest seal; exit 1 at the first broken link or changed call."""
    expected = _expected_heads(expect_heads)
    broken = False
    with session_scope(current_app) as session:
        for cls, noun in CHAINS:
            report = verify_chain(session, cls)
            if not report.ok:
                broken = True
                click.echo(
                    f"BROKEN {report.table}: first broken link at seq {report.broken_at}: "
                    f"{report.problem}; the {report.count} rows before it are intact"
                )
                continue
            click.echo(f"ok, {report.count} {noun} (head {report.head})")
            want = expected.get(report.table)
            if want and want != report.head:
                broken = True
                click.echo(
                    f"BROKEN {report.table}: head is {report.head}, expected {want} "
                    "(rows were removed from the end, or the chain was rebuilt)"
                )
        changed = unsealed_changes(session)
        for line in changed[:20]:
            click.echo(f"BROKEN calls: {line} (the row was edited outside the application)")
        if changed:
            broken = True
            click.echo(f"BROKEN calls: {len(changed)} call(s) differ from their seals")
        else:
            click.echo("ok, every call matches its newest seal")
    if broken:
        raise SystemExit(1)


@audit.command("heads")
@with_appcontext
def audit_heads() -> None:
    """Print each chain's head as TABLE=HASH: keep the lines outside the database and pass
    them to `audit verify --expect-head` later."""
    with session_scope(current_app) as session:
        for table, head in chain_heads(session).items():
            click.echo(f"{table}={head}")


@audit.command("publish-heads")
@with_appcontext
def audit_publish_heads() -> None:
    """Publish each chain's head to AUDIT_HEADS_TARGET now (the worker also does it)."""
    target = settings().audit_heads_target
    if not target:
        raise click.UsageError("AUDIT_HEADS_TARGET is not set (a file path or an https URL)")
    with session_scope(current_app) as session:
        try:
            record = publish_heads(session, target)
        except PublishError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"published {len(record['heads'])} heads to {target}")


def _expected_heads(values: tuple[str, ...]) -> dict[str, str]:
    tables = {cls.__tablename__ for cls, _ in CHAINS}
    expected: dict[str, str] = {}
    for value in values:
        table, sep, head = value.partition("=")
        if not sep:
            table, head = CallEvent.__tablename__, value
        if table not in tables:
            raise click.BadParameter(f"{table!r} is not a chain ({', '.join(sorted(tables))})")
        expected[table] = head.strip()
    return expected


@click.command("purge-webhook-deliveries")
@click.option("--hours", default=24, show_default=True, type=click.IntRange(min=1),
              help="keep the answers of the last this many hours")  # fmt: skip
@with_appcontext
def purge_webhook_deliveries(hours: int) -> None:
    """Forget the stored answers to webhook deliveries older than --hours (safe to repeat)."""
    from datetime import timedelta

    from ivr.voice.hook import purge_deliveries

    with session_scope(current_app) as session:
        count = purge_deliveries(session, keep=timedelta(hours=hours))
    click.echo(f"purged {count} webhook deliveries")


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Migrate the database to the newest schema (safe to run again)."""
    upgrade_to_head(settings().database_url)
    click.echo("database is at the newest schema")


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", required=True)
@click.option("--phone", default=None, help="E.164, e.g. +14155550100 (recruiters need one)")
@click.option("--password", default=None, help="for the web pages; prompt with --ask-password")
@click.option("--ask-password", is_flag=True, help="prompt for a password without echo")
def create_user(
    email: str, role: str, name: str, phone: str | None, password: str | None, ask_password: bool
) -> None:
    """Create a user and print a new API token as the last line."""
    if ask_password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with session_scope(current_app) as session:
        values = {"email": email, "role": role, "name": name, "phone": phone}
        try:
            # Through the same rules as the admin page, and chained as a user.created event.
            user = system.create_user(session, None, values, password or None, source="cli")
            token = ApiToken.issue(session, user, label="created by create-user")
            session.commit()
        except system.ChangeRefused as refused:
            session.rollback()
            if refused.status == 409:
                raise click.UsageError(f"a user with that email or phone already exists: "
                                       f"{refused.reason}") from None  # fmt: skip
            raise click.UsageError(refused.reason) from None
        except IntegrityError:
            session.rollback()
            raise click.UsageError("a user with that email or phone already exists") from None
        click.echo(f"created {role} {user.email} (id {user.id}); API token:")
        click.echo(token)


DEMO_RECRUITERS = [
    ("Riley Recruiter", "riley@example.com", "+15005550101"),
    ("Sam Sourcer", "sam@example.com", "+15005550102"),
]
DEMO_CANDIDATES = [
    ("Jane Doe", "+15005550201", "interviewing"),
    ("John Smith", "+15005550202", "interviewing"),
    ("Ada Lovelace", "+15005550203", "offer"),
    ("Grace Hopper", "+15005550204", "screening"),
]
DEMO_PASSWORD = "demo-password"
DEMO_LINE_PIN = "2468"  # the demo recruiters' recruiter line PIN (README)


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Add demo recruiters, an auditor, an admin and candidates (only into an empty database)."""
    with session_scope(current_app) as session:
        if session.scalar(select(User.id).limit(1)) is not None:
            click.echo("database already has users; demo data not added")
            return
        recruiters = []
        for order, (name, email, phone) in enumerate(DEMO_RECRUITERS, start=1):
            user = User(name=name, email=email, role=Role.RECRUITER, phone=phone, hunt_order=order)
            user.set_password(DEMO_PASSWORD)
            user.set_pin(DEMO_LINE_PIN)
            recruiters.append(user)
            session.add(user)
        for name, email, role in (
            ("Avery Auditor", "auditor@example.com", Role.AUDITOR),
            ("Alex Admin", "admin@example.com", Role.ADMIN),
        ):
            user = User(name=name, email=email, role=role)
            user.set_password(DEMO_PASSWORD)
            session.add(user)
        session.flush()
        for index, (name, phone, stage) in enumerate(DEMO_CANDIDATES):
            session.add(
                Candidate(
                    name=name,
                    phone=phone,
                    stage=stage,
                    owner=recruiters[index % len(recruiters)],
                    code=new_candidate_code(session),
                    email=name.lower().replace(" ", ".") + "@example.net",
                )
            )
            session.flush()
        session.commit()
        click.echo(
            f"demo data added: sign in as {DEMO_RECRUITERS[0][1]} / {DEMO_PASSWORD} "
            "(also sam@, auditor@, admin@example.com)"
        )


@click.command("import-candidates")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--owner",
    "owner_email",
    default=None,
    metavar="EMAIL",
    help="the active recruiter who owns new candidates whose row has no owner_email "
    "(default: nobody)",
)
@click.option(
    "--as",
    "as_email",
    default=None,
    metavar="EMAIL",
    help="the active admin (or recruiter) the import is recorded as, with that person's "
    "rights (default: the first active admin)",
)
@click.option("--dry-run", is_flag=True, help="check every row and report; write nothing")
@with_appcontext
def import_candidates_command(
    file: Path, owner_email: str | None, as_email: str | None, dry_run: bool
) -> None:
    """Create or update candidates from a CSV FILE (UTF-8).

    The first line names the columns: name and phone are required; email, owner_email,
    stage, timezone, external_id and source are read when present; other columns are
    ignored and listed. Each row updates the candidate with the same source and external_id,
    else the one with the same phone, else creates one; an empty cell leaves a value as it
    is. Prints each rejected row as "line N: reason", then the summary line. Exits 1 when
    the file cannot be read or lacks the required columns."""
    with session_scope(current_app) as session:
        actor = _import_actor(session, as_email)
        owner = None
        if owner_email is not None:
            owner = session.scalar(select(User).where(User.email == owner_email.strip().lower()))
            if not may_own_candidates(owner):
                raise click.UsageError(f"--owner: no active recruiter with email {owner_email}")
        session.commit()  # end the read: each batch of the import is its own transaction
    try:
        binary = file.open("rb")
    except OSError as exc:
        click.echo(f"error: cannot read {file}: {exc.strerror}", err=True)
        raise SystemExit(1) from None
    with binary:
        text = open_text(binary)
        try:
            report = import_candidates(
                current_app.extensions["db_sessionmaker"],
                actor,
                text,
                Rules.from_settings(settings()),
                default_owner=owner,
                dry_run=dry_run,
                on_rejected=lambda line, reason: click.echo(f"line {line}: {reason}"),
            )
        except ImportFileError as exc:
            click.echo(f"error: {file}: {exc}", err=True)
            raise SystemExit(1) from None
        except CandidateError as exc:
            raise click.UsageError(exc.reason) from None
        finally:
            text.detach()
    if report.ignored_columns:
        click.echo(f"ignored columns: {', '.join(report.ignored_columns)}")
    if report.unchanged:
        click.echo(f"{report.unchanged} matching rows changed nothing")
    click.echo(report.summary)


def _import_actor(session: Session, as_email: str | None) -> User:
    if as_email is None:
        actor = session.scalar(
            select(User).where(User.role == Role.ADMIN, User.is_active).order_by(User.id).limit(1)
        )
        if actor is None:
            raise click.UsageError(
                "no active admin to record the import as: create one "
                "(create-user --role admin) or name a recruiter with --as"
            )
        return actor
    actor = session.scalar(select(User).where(User.email == as_email.strip().lower()))
    if actor is None or not actor.is_active or not can_create_candidates(actor):
        raise click.UsageError(f"--as: no active admin or recruiter with email {as_email}")
    return actor
