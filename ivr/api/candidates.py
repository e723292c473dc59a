"""The candidates resource: add, find, read with the timeline, change, upsert by an ATS's key,
and notes on candidates and calls. Every rule lives in ivr.candidates.records and
ivr.permissions; these views parse HTTP, call them, and commit once."""

from __future__ import annotations

from typing import Any

from flask import g, request
from flask.typing import ResponseReturnValue

from ivr import calllog
from ivr.api import bp
from ivr.candidates import records
from ivr.candidates.records import CandidateError, Rules
from ivr.candidates.search import CandidateFilter, SearchError, page_of_candidates, parse_limit
from ivr.candidates.timeline import candidate_timeline, stage_history
from ivr.clock import now
from ivr.config import settings
from ivr.db import get_session
from ivr.permissions import can_open_candidate
from ivr.security import api_auth, api_error, json_object
from ivr.serialize import candidate_json, event_json
from models import Call, Candidate, Role
from models.candidate import EXTERNAL_ID_MAX, SOURCE_MAX

READERS = tuple(Role)
WRITERS = (Role.RECRUITER, Role.ADMIN)
VIA = "api"
BY_EXTERNAL_ID = (
    f"/candidates/by-external-id/<string(maxlength={SOURCE_MAX}):source>"
    f"/<string(maxlength={EXTERNAL_ID_MAX}):external_id>"
)


def _rules() -> Rules:
    return Rules.from_settings(settings())


def _refused(error: CandidateError) -> ResponseReturnValue:
    """A change that could not be made: nothing it may have flushed is kept."""
    get_session().rollback()
    extra: dict[str, Any] = {}
    if error.field is not None:
        extra["field"] = error.field
    if error.existing_id is not None:
        extra["existing_id"] = error.existing_id
    return api_error(error.status, str(error), **extra)


def _readable(candidate_id: int) -> Candidate | None:
    """The candidate, if this user may open it; someone else's is as good as missing."""
    candidate = get_session().get(Candidate, candidate_id)
    if candidate is None or not can_open_candidate(g.api_user, candidate):
        return None
    return candidate


def _location(candidate: Candidate) -> dict[str, str]:
    return {"Location": f"/api/v1/candidates/{candidate.id}"}


@bp.post("/candidates")
@api_auth(*WRITERS)
def create_candidate() -> ResponseReturnValue:
    body = json_object('{"name": "Jane Doe", "phone": "..."}')
    session, rules = get_session(), _rules()
    try:
        fields = records.parse_fields(body, rules)
        candidate = records.create_candidate(session, g.api_user, fields, rules, via=VIA)
    except CandidateError as refused:
        return _refused(refused)
    session.commit()
    return candidate_json(candidate, now()), 201, _location(candidate)


@bp.get("/candidates")
@api_auth(*READERS)
def list_candidates() -> ResponseReturnValue:
    session = get_session()
    try:
        flt = CandidateFilter.from_args(request.args)
        limit = parse_limit(request.args.get("limit"))
        page = page_of_candidates(
            session, g.api_user, flt, request.args.get("cursor"), limit, _rules(), now()
        )
    except SearchError as bad:
        return api_error(400, str(bad), field=bad.field)
    calllog.record_read(g.api_user, "api.candidates.list", filters=flt.as_args())
    moment = now()
    return {
        "candidates": [candidate_json(candidate, moment) for candidate in page.candidates],
        "next_cursor": page.next_cursor,
        "filters": flt.as_args(),
    }


@bp.get("/candidates/<id:candidate_id>")
@api_auth(*READERS)
def get_candidate(candidate_id: int) -> ResponseReturnValue:
    candidate = _readable(candidate_id)
    if candidate is None:
        return api_error(404, "no such candidate")
    session = get_session()
    calllog.record_read(g.api_user, "api.candidates.read", target=f"candidate:{candidate.id}")
    return candidate_json(
        candidate,
        now(),
        timeline=candidate_timeline(session, candidate, g.api_user),
        stage_history=stage_history(session, candidate),
    )


@bp.patch("/candidates/<id:candidate_id>")
@api_auth(*WRITERS)
def update_candidate(candidate_id: int) -> ResponseReturnValue:
    body = json_object('{"stage": "screening"}')
    candidate = _readable(candidate_id)
    if candidate is None:
        return api_error(404, "no such candidate")
    session, rules = get_session(), _rules()
    try:
        fields = records.parse_fields(body, rules)
        records.update_candidate(session, g.api_user, candidate, fields, rules, via=VIA)
    except CandidateError as refused:
        return _refused(refused)
    session.commit()
    return candidate_json(candidate, now())


@bp.put(BY_EXTERNAL_ID)
@api_auth(*WRITERS)
def upsert_candidate(source: str, external_id: str) -> ResponseReturnValue:
    """An ATS's sync: the record it knows by (source, external_id), created or brought up to
    date; sending the same record again changes nothing."""
    body = json_object('{"name": "Jane Doe", "phone": "..."}')
    session, rules = get_session(), _rules()
    try:
        key = records.parse_fields({"source": source, "external_id": external_id}, rules)
        for field in ("source", "external_id"):
            if key[field] is None:
                raise CandidateError(field, "is required")
        # The path names the record; a key in the body cannot point elsewhere.
        fields = records.parse_fields(
            {k: v for k, v in body.items() if k not in ("source", "external_id")}, rules
        )
        candidate, created = records.upsert(
            session, g.api_user, key["source"], key["external_id"], fields, rules, via=VIA
        )
    except CandidateError as refused:
        return _refused(refused)
    session.commit()
    if created:
        return candidate_json(candidate, now()), 201, _location(candidate)
    return candidate_json(candidate, now())


@bp.post("/candidates/<id:candidate_id>/notes")
@api_auth(Role.RECRUITER)
def create_candidate_note(candidate_id: int) -> ResponseReturnValue:
    body = json_object('{"text": "Prefers mornings"}')
    candidate = _readable(candidate_id)
    if candidate is None:
        return api_error(404, "no such candidate")
    return _add_note(body, candidate=candidate)


@bp.post("/calls/<id:call_id>/notes")
@api_auth(Role.RECRUITER)
def create_call_note(call_id: int) -> ResponseReturnValue:
    body = json_object('{"text": "Call back after 5"}')
    call = calllog.readable_call(get_session(), g.api_user, call_id)
    if call is None:
        return api_error(404, "no such call")
    return _add_note(body, call=call)


def _add_note(
    body: dict[str, Any], *, candidate: Candidate | None = None, call: Call | None = None
) -> ResponseReturnValue:
    session = get_session()
    try:
        event = records.add_note(
            session, g.api_user, body.get("text"), candidate=candidate, call=call
        )
    except CandidateError as refused:
        return _refused(refused)
    session.commit()
    return event_json(event), 201
