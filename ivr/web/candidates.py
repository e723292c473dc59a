"""Candidate pages: the list (search, filters, sorts, keyset pages, bulk reassign), the add
and edit forms, the candidate's own page (details, stage history, one timeline) and notes.

Every rule lives in ivr.candidates and ivr.permissions; these views carry what people typed
there and show the reasons that come back, next to the field they are about."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from ivr import clock, words
from ivr.calllog import record_read
from ivr.candidates.records import (
    NOTE_MAX,
    CandidateError,
    Rules,
    add_note,
    create_candidate,
    parse_fields,
    reassign,
    timezone_for,
    update_candidate,
)
from ivr.candidates.search import (
    SORTS,
    CandidateFilter,
    SearchError,
    page_of_candidates,
    parse_limit,
)
from ivr.candidates.timeline import Entry, candidate_timeline, stage_history
from ivr.config import settings
from ivr.db import get_session
from ivr.permissions import (
    can_call_candidate,
    can_create_candidates,
    can_edit_candidate,
    can_note_candidate,
    can_open_candidate,
    can_read_candidate_history,
    may_own_candidates,
)
from ivr.security import role_required
from ivr.web import bp
from ivr.web.forms import CandidateForm, NoteForm, ReassignForm
from ivr.web.viewer import viewer_zone
from models import CallEvent, Candidate, Role, Stage, User
from models.base import MAX_ID
from models.enums import STAGES
from models.phone import mask_phone

EVERYONE = tuple(Role)
WRITERS = (Role.RECRUITER, Role.ADMIN)
SORT_WORDS = {"name": "name", "stage": "stage", "last_contact": "last contact"}
LIST_ARGS = (
    "q",
    "stage",
    "owner_id",
    "do_not_call",
    "not_called_days",
    "scope",
    "sort",
    "cursor",
    "limit",
)
MAX_REASSIGN = 1000
# Offered in the timezone box; any IANA zone may be typed.
COMMON_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Toronto",
    "America/Vancouver",
    "America/Mexico_City",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Amsterdam",
    "Europe/Warsaw",
    "Europe/Athens",
    "Africa/Johannesburg",
    "Africa/Lagos",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Manila",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Australia/Perth",
    "Pacific/Auckland",
    "UTC",
)
CODE_EXPLAINED = (
    "Recruiters calling in from their own phone key this code to be connected to the candidate."
)


def _rules() -> Rules:
    return Rules.from_settings(settings())


def _candidate(candidate_id: int) -> Candidate:
    candidate = get_session().get(Candidate, candidate_id)
    if candidate is None:
        abort(404)
    return candidate


def _refused_form(form: Any) -> bool:
    """A form that failed Flask-WTF's own check: only a missing or stale CSRF token can."""
    return "csrf_token" in form.errors


def _say(label: str, reason: str) -> str:
    """'is required' next to Name reads as 'Name is required'."""
    if reason.startswith(("is ", "must ")):
        return f"{label} {reason}"
    return reason[:1].upper() + reason[1:]


# The list ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    candidate: Candidate
    may_open: bool
    may_edit: bool
    phone: str
    stage: str
    last_contact: str


SEARCH_LABELS = {
    "q": "Search",
    "stage": "Stage",
    "owner_id": "Owner",
    "do_not_call": "Do not call",
    "not_called_days": "Not called in (days)",
    "scope": "Mine or team",
    "sort": "Sort by",
    "cursor": "That next-page link",
    "limit": "Page size",
}


def _search_problem(bad: SearchError) -> str:
    label = SEARCH_LABELS.get(bad.field, bad.field)
    if bad.reason.startswith("not "):
        return f"{label} is {bad.reason}."
    if bad.reason.startswith(("is ", "must ")):
        return f"{label} {bad.reason}."
    return f"{label}: {bad.reason}."


def _recruiters() -> list[User]:
    """Everyone who owns or may own candidates, for the owner filter (inactive ones too)."""
    return list(
        get_session().scalars(
            select(User).where(User.role == Role.RECRUITER).order_by(User.name, User.id)
        )
    )


def _owner_choices(current: User | None, *, nobody: bool) -> list[tuple[str, str]]:
    choices = [("", "— nobody —")] if nobody else []
    active = [u for u in _recruiters() if may_own_candidates(u)]
    choices += [(str(u.id), u.name) for u in active]
    if current is not None and current not in active:
        choices.append((str(current.id), f"{current.name} (inactive)"))
    return choices


def _list_args(args: Mapping[str, str]) -> MultiDict[str, str]:
    return MultiDict([(k, args[k]) for k in LIST_ARGS if args.get(k)])


def _list_page(
    args: Mapping[str, str],
    form: ReassignForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    session = get_session()
    zone = viewer_zone()
    error: str | None = None
    flt: CandidateFilter | None = None
    page = None
    try:
        flt = CandidateFilter.from_args(args)
        limit = parse_limit(args.get("limit"))
        page = page_of_candidates(
            session, current_user, flt, args.get("cursor") or None, limit, _rules(), clock.now()
        )
    except SearchError as bad:
        error, status = _search_problem(bad), 400
    if page is not None and flt is not None:
        record_read(current_user, "web.candidates.view", filters=flt.as_args())
    rows = []
    for candidate in page.candidates if page else []:
        may_open = can_open_candidate(current_user, candidate)
        rows.append(
            Row(
                candidate=candidate,
                may_open=may_open,
                may_edit=can_edit_candidate(current_user, candidate),
                # Someone else's candidate in the team view: enough to tell, not to dial.
                phone=candidate.phone if may_open else mask_phone(candidate.phone),
                stage=words.stage(candidate.stage),
                last_contact=words.local_time(candidate.last_contact_at, zone),
            )
        )
    if form is None:
        form = ReassignForm(formdata=None)
    form.owner_id.choices = _owner_choices(None, nobody=False)
    base: dict[str, Any] = {**flt.as_args()} if flt else {}
    if flt and args.get("limit"):
        base["limit"] = str(args["limit"])
    return render_template(
        "candidates.html",
        args=args,
        flt=flt,
        page=page,
        rows=rows,
        error=error,
        recruiters=_recruiters(),
        stages=[(s, words.stage(s)) for s in STAGES],
        sorts=[(s, SORT_WORDS[s]) for s in SORTS],
        next_url=(
            url_for("web.candidate_list", cursor=page.next_cursor, **base)
            if page and page.next_cursor
            else None
        ),
        mine_url=url_for("web.candidate_list", **{k: v for k, v in base.items() if k != "scope"}),
        team_url=url_for("web.candidate_list", **{**base, "scope": "team"}),
        back=urlencode(base),
        reassign_form=form,
        searching=flt is not None
        and any(
            getattr(flt, name) is not None
            for name in ("q", "stage", "owner_id", "do_not_call", "not_called_days")
        ),
        can_reassign=any(r.may_edit for r in rows),
        can_create=can_create_candidates(current_user),
        zone=zone,
    ), status


@bp.get("/candidates")
@role_required(*EVERYONE)
def candidate_list() -> ResponseReturnValue:
    return _list_page(_list_args(request.args))


@bp.post("/candidates/reassign")
@role_required(*WRITERS)
def reassign_candidates() -> ResponseReturnValue:
    """Hand the ticked candidates to another recruiter: all of them, or none."""
    form = ReassignForm()
    back = _list_args(MultiDict(parse_qsl(form.back.data or "")))
    if not form.validate_on_submit():
        if _refused_form(form):
            abort(400)
        return _list_page(back, form, 400)
    ids = list(dict.fromkeys(form.candidate_ids.data or []))
    if not ids:
        form.candidate_ids.errors = ["Tick the candidates to reassign."]
        return _list_page(back, form, 400)
    if len(ids) > MAX_REASSIGN or any(not 1 <= i <= MAX_ID for i in ids):
        form.candidate_ids.errors = [f"Choose up to {MAX_REASSIGN} candidates from the list."]
        return _list_page(back, form, 400)
    session = get_session()
    found = {c.id: c for c in session.scalars(select(Candidate).where(Candidate.id.in_(ids)))}
    missing = [i for i in ids if i not in found]
    if missing:
        form.candidate_ids.errors = [f"Candidate {missing[0]} no longer exists; nothing moved."]
        return _list_page(back, form, 404)
    try:
        owner_id = parse_fields(
            {"owner_id": form.owner_id.data or None}, _rules(), allowed=("owner_id",)
        )["owner_id"]
        reason = parse_fields({"reason": form.reason.data}, _rules(), allowed=("reason",))["reason"]
        owner = session.get(User, owner_id) if owner_id is not None else None
        moved = reassign(session, current_user, [found[i] for i in ids], owner, reason, via="web")
        session.commit()
    except CandidateError as refused:
        session.rollback()
        target = {"owner_id": form.owner_id, "reason": form.reason}.get(
            refused.field or "", form.candidate_ids
        )
        label = "Recruiter" if target is form.owner_id else target.label.text
        target.errors = [f"{_say(label, refused.reason)}; nothing moved."]
        return _list_page(back, form, refused.status)
    assert owner is not None
    if moved:
        names = ", ".join(c.name for c in moved[:10]) + (" …" if len(moved) > 10 else "")
        flash(f"Reassigned {len(moved)} to {owner.name}: {names}.", "info")
    else:
        flash(f"Nothing to move: they are already {owner.name}'s.", "info")
    values: dict[str, Any] = back.to_dict()
    return redirect(url_for("web.candidate_list", **values), 303)


# Adding and editing --------------------------------------------------------------------------


def _form_page(
    form: CandidateForm,
    candidate: Candidate | None,
    status: int = 200,
    refusal: str | None = None,
    existing: Candidate | None = None,
) -> ResponseReturnValue:
    form.owner_id.choices = _owner_choices(
        candidate.owner if candidate else None, nobody=not may_own_candidates(current_user)
    )
    return render_template(
        "candidate_form.html",
        form=form,
        candidate=candidate,
        refusal=refusal,
        existing=existing,
        existing_may_open=existing is not None and can_open_candidate(current_user, existing),
        zones=COMMON_ZONES,
    ), status


def _typed(form: CandidateForm, *, editing: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": form.name.data or "",
        "phone": form.phone.data or "",
        "email": form.email.data or "",
        "owner_id": form.owner_id.data or None,
        "stage": form.stage.data,
        "timezone": form.timezone.data or "",
        "do_not_call": bool(form.do_not_call.data),
    }
    if form.do_not_call.data:
        # The reason shown in the box is the old one when unticking: it cannot be the reason
        # for clearing, which goes in "Why".
        data["do_not_call_reason"] = form.do_not_call_reason.data or ""
    if editing:
        data["reason"] = form.reason.data or ""
    return data


def _parse(form: CandidateForm, data: Mapping[str, Any]) -> dict[str, Any] | None:
    """Parse each field on its own so every bad one gets its reason at once."""
    rules, fields, bad = _rules(), {}, False
    for key, value in data.items():
        try:
            fields.update(parse_fields({key: value}, rules))
        except CandidateError as refused:
            _refuse(form, refused)
            bad = True
    return None if bad else fields


def _refuse(form: CandidateForm, refused: CandidateError) -> str | None:
    """Put the reason next to its field; a reason about no field of the form is returned."""
    field = form._fields.get(refused.field or "")
    if field is None or refused.field == "csrf_token":
        return refused.reason[:1].upper() + refused.reason[1:] + "."
    field.errors = [*field.errors, _say(field.label.text, refused.reason)]
    return None


def _refused_page(
    form: CandidateForm, candidate: Candidate | None, refused: CandidateError
) -> ResponseReturnValue:
    session = get_session()
    session.rollback()
    if refused.status == 403:
        abort(403)
    existing = session.get(Candidate, refused.existing_id) if refused.existing_id else None
    refusal = _refuse(form, refused)
    return _form_page(form, candidate, refused.status, refusal, existing)


@bp.get("/candidates/new")
@role_required(*WRITERS)
def new_candidate() -> ResponseReturnValue:
    form = CandidateForm(formdata=None)
    form.stage.data = Stage.APPLIED
    form.owner_id.data = str(current_user.id) if may_own_candidates(current_user) else ""
    return _form_page(form, None)


@bp.post("/candidates/new")
@role_required(*WRITERS)
def create_candidate_page() -> ResponseReturnValue:
    form = CandidateForm()
    if not form.validate_on_submit() and _refused_form(form):
        abort(400)
    fields = _parse(form, _typed(form, editing=False))
    if fields is None:
        return _form_page(form, None, 400)
    session = get_session()
    try:
        candidate = create_candidate(session, current_user, fields, _rules(), via="web")
        session.commit()
    except CandidateError as refused:
        return _refused_page(form, None, refused)
    flash(f"Added {candidate.name}.", "info")
    if can_open_candidate(current_user, candidate):
        return redirect(url_for("web.candidate_detail", candidate_id=candidate.id), 303)
    return redirect(url_for("web.candidate_list"), 303)


def _editable(candidate_id: int) -> Candidate:
    candidate = _candidate(candidate_id)
    if not can_edit_candidate(current_user, candidate):
        abort(403)
    return candidate


@bp.get("/candidates/<id:candidate_id>/edit")
@role_required(*WRITERS)
def edit_candidate(candidate_id: int) -> ResponseReturnValue:
    candidate = _editable(candidate_id)
    form = CandidateForm(formdata=None, obj=candidate)
    form.owner_id.data = str(candidate.owner_id or "")
    return _form_page(form, candidate)


@bp.post("/candidates/<id:candidate_id>/edit")
@role_required(*WRITERS)
def update_candidate_page(candidate_id: int) -> ResponseReturnValue:
    candidate = _editable(candidate_id)
    form = CandidateForm()
    if not form.validate_on_submit() and _refused_form(form):
        abort(400)
    fields = _parse(form, _typed(form, editing=True))
    if fields is None:
        return _form_page(form, candidate, 400)
    if fields.get("timezone") == candidate.timezone:
        # Left as it was: as if not given, so a zone that came from the old number follows
        # a new one.
        del fields["timezone"]
    elif fields.get("timezone") is None:
        # Blank: the zone of the phone number, as when the candidate was added.
        fields["timezone"] = timezone_for(fields.get("phone") or candidate.phone, _rules())
    session = get_session()
    try:
        changes = update_candidate(session, current_user, candidate, fields, _rules(), via="web")
        session.commit()
    except CandidateError as refused:
        return _refused_page(form, candidate, refused)
    if not changes:
        flash("Nothing changed.", "info")
    else:
        flash(f"Saved {candidate.name}.", "info")
    if can_open_candidate(current_user, candidate):
        return redirect(url_for("web.candidate_detail", candidate_id=candidate.id), 303)
    flash(f"{candidate.name} is now {_owner_name(candidate)}'s candidate.", "info")
    return redirect(url_for("web.candidate_list"), 303)


def _owner_name(candidate: Candidate) -> str:
    return candidate.owner.name if candidate.owner else "nobody"


# The candidate's page ------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One entry of a timeline or history, in words and in the viewer's time."""

    when: str
    iso: str
    title: str
    summary: str
    who: str
    kind: str
    call_id: int | None = None


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


def _who(event: CallEvent) -> str:
    if event.actor is not None:
        return event.actor.name
    return "the phone network" if event.source == "twilio" else "the system"


def _timeline_line(entry: Entry, zone: str, show_calls: bool) -> Line:
    call_id = entry.call.id if entry.call else (entry.event.call_id if entry.event else None)
    if entry.call is not None:
        who = ""  # the summary says "with <recruiter>"
    else:
        assert entry.event is not None
        who = _who(entry.event)
    return Line(
        when=words.local_time(entry.at, zone),
        iso=_iso(entry.at),
        title=entry.title,
        summary=entry.summary,
        who=who,
        kind=entry.kind,
        call_id=call_id if show_calls else None,
    )


def _history_line(event: CallEvent, zone: str) -> Line:
    detail = event.detail or {}
    if event.kind == "candidate.created":
        title = f"Added at stage {words.stage(detail.get('stage'))}"
        why = ""
    else:
        title = f"{words.stage(detail.get('from'))} → {words.stage(detail.get('to'))}"
        why = str(detail.get("reason") or detail.get("because") or "")
    return Line(
        when=words.local_time(event.created_at, zone),
        iso=_iso(event.created_at),
        title=title,
        summary=why,
        who=_who(event),
        kind=event.kind,
    )


def _candidate_page(
    candidate: Candidate, note_form: NoteForm, status: int = 200
) -> ResponseReturnValue:
    session = get_session()
    zone = viewer_zone()
    show_calls = can_read_candidate_history(current_user, candidate)
    timeline = [
        _timeline_line(e, zone, show_calls)
        for e in candidate_timeline(session, candidate, current_user)
    ]
    events = stage_history(session, candidate)
    history = [_history_line(e, zone) for e in events]
    if not events or events[0].kind != "candidate.created":
        # Added before additions were chained: the first change still says where it began.
        first = events[0].detail.get("from") if events else candidate.stage
        history.insert(
            0,
            Line(
                when=words.local_time(candidate.created_at, zone),
                iso=_iso(candidate.created_at),
                title=f"Added at stage {words.stage(first)}",
                summary="",
                who="",
                kind="candidate.created",
            ),
        )
    return render_template(
        "candidate.html",
        candidate=candidate,
        stage=words.stage(candidate.stage),
        local_now=words.local_time(clock.now(), candidate.timezone),
        timeline=timeline,
        history=history,
        zone=zone,
        code_explained=CODE_EXPLAINED,
        can_edit=can_edit_candidate(current_user, candidate),
        can_call=can_call_candidate(current_user, candidate),
        can_note=can_note_candidate(current_user, candidate),
        note_form=note_form,
        note_max=NOTE_MAX,
    ), status


def _openable(candidate_id: int) -> Candidate:
    candidate = _candidate(candidate_id)
    if not can_open_candidate(current_user, candidate):
        abort(403)
    return candidate


@bp.get("/candidates/<id:candidate_id>")
@role_required(*EVERYONE)
def candidate_detail(candidate_id: int) -> ResponseReturnValue:
    candidate = _openable(candidate_id)
    record_read(current_user, "web.candidate.view", target=f"candidate:{candidate.id}")
    return _candidate_page(candidate, NoteForm(formdata=None))


@bp.post("/candidates/<id:candidate_id>/notes")
@role_required(Role.RECRUITER)
def add_candidate_note(candidate_id: int) -> ResponseReturnValue:
    candidate = _openable(candidate_id)
    form = NoteForm()
    if not form.validate_on_submit() and _refused_form(form):
        abort(400)
    session = get_session()
    try:
        add_note(session, current_user, form.text.data, candidate=candidate)
        session.commit()
    except CandidateError as refused:
        session.rollback()
        if refused.status == 403:
            abort(403)
        form.text.errors = [_say("The note", refused.reason)]
        return _candidate_page(candidate, form, refused.status)
    flash("Note added.", "info")
    return redirect(url_for("web.candidate_detail", candidate_id=candidate.id) + "#timeline", 303)
