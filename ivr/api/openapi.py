"""GET /api/v1/openapi.json: the OpenAPI 3 document for every JSON endpoint. A test runs
schemathesis against it, so a response that drifts from this document fails the build."""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue

from ivr.api import bp
from ivr.calllog import DIRECTIONS, STATUSES
from ivr.candidates.records import NOTE_MAX
from ivr.candidates.search import MAX_DAYS, MAX_QUERY, SCOPES, SORTS
from ivr.keyset import MAX_PAGE_SIZE, PAGE_SIZE
from ivr.words import LIVE_STATE_CODES
from models.base import MAX_ID
from models.candidate import EMAIL_MAX, EXTERNAL_ID_MAX, NAME_MAX, REASON_MAX, SOURCE_MAX
from models.enums import STAGES, OwedReason, values


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


STR: dict[str, Any] = {"type": "string"}
INT: dict[str, Any] = {"type": "integer"}
TIME: dict[str, Any] = {"type": "string", "format": "date-time"}
BOOL = ["true", "false"]
ID: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json(description: str, ref: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


LIMIT: dict[str, Any] = {
    "name": "limit",
    "in": "query",
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": PAGE_SIZE},
}
UNAUTHORIZED = _error("No bearer token, or the token is invalid or revoked.")
FORBIDDEN = _error("The token's user has a role this endpoint is not for.")
BAD_REQUEST = _error("A parameter cannot be used; `field` names it.")

CALL_FILTERS: list[dict[str, Any]] = [
    {
        "name": "since",
        "in": "query",
        "description": "Calls created at or after this ISO-8601 date or date-time (UTC if naive).",
        "schema": STR,
    },
    {
        "name": "until",
        "in": "query",
        "description": "Calls created before this date-time; a bare date includes that whole day.",
        "schema": STR,
    },
    {"name": "recruiter_id", "in": "query", "schema": ID},
    {"name": "candidate_id", "in": "query", "schema": ID},
    {"name": "direction", "in": "query", "schema": {"type": "string", "enum": list(DIRECTIONS)}},
    {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(STATUSES)}},
    {
        "name": "outcome",
        "in": "query",
        "description": "An outcome digit, or `none` for calls without an outcome.",
        "schema": {"type": "string", "pattern": "^([0-9]|none)$"},
    },
    {"name": "has_voicemail", "in": "query", "schema": {"type": "string", "enum": BOOL}},
    {
        "name": "order",
        "in": "query",
        "schema": {"type": "string", "enum": ["newest", "oldest"], "default": "newest"},
    },
]

CALL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "direction", "status", "created_at", "outcome_state", "is_voicemail"],
    "properties": {
        "id": INT,
        "direction": {"type": "string", "enum": ["outbound", "inbound"]},
        "status": {"type": "string", "enum": list(STATUSES)},
        "disposition": _nullable(STR),
        "candidate_id": _nullable(INT),
        "candidate_name": _nullable(STR),
        "recruiter_id": _nullable(INT),
        "company_number": STR,
        "call_sid": _nullable(STR),
        "child_call_sid": _nullable(STR),
        "candidate_leg_status": _nullable(STR),
        "created_at": TIME,
        "answered_at": _nullable(TIME),
        "ended_at": _nullable(TIME),
        "duration": _nullable(INT),
        "talk_duration": _nullable(INT),
        "outcome_state": {"type": "string", "enum": ["recorded", "pending", "not recorded"]},
        "outcome": {
            "type": "object",
            "nullable": True,
            "properties": {
                "digit": STR,
                "label": STR,
                "recorded_at": _nullable(TIME),
                "recorded_by_id": _nullable(INT),
            },
        },
        "recording_url": _nullable(STR),
        "is_voicemail": {"type": "boolean"},
        "stir_verstat": {
            "type": "string",
            "nullable": True,
            "description": "Twilio's StirVerstat for a call to the company number: how far the "
            "network vouches for the caller ID (SHAKEN/STIR), e.g. TN-Validation-Passed-A; "
            "null when Twilio sent none.",
        },
        "unconfirmed": {
            "type": "boolean",
            "description": "Asking the phone network to place the call got no answer in time; "
            "it may be ringing. The first webhook or the reconciliation settles it.",
        },
        "live_state": {
            "type": "object",
            "description": "Where the call is, in the recruiter's words, e.g. Ringing Jane.",
            "required": ["code", "text"],
            "properties": {
                "code": {"type": "string", "enum": list(LIVE_STATE_CODES)},
                "text": STR,
            },
        },
        "status_text": STR,
        "disposition_text": _nullable(STR),
        "direction_text": STR,
        "outcome_text": STR,
        "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
    },
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": STR,
            "field": STR,
            "existing_id": {**INT, "description": "On 409: the candidate that already has it."},
            "opens_at": {
                **TIME,
                "description": "On 409 outside the candidate's calling window: when it opens.",
            },
        },
    },
    "Call": CALL_SCHEMA,
    "Event": {
        "type": "object",
        "required": ["id", "at", "kind", "source"],
        "properties": {
            "id": INT,
            "at": TIME,
            "kind": STR,
            "source": STR,
            "call_sid": _nullable(STR),
            "actor_id": _nullable(INT),
            "detail": {"type": "object"},
            "payload": {"type": "object", "description": "What Twilio sent, verbatim."},
        },
    },
    "CallPage": {
        "type": "object",
        "required": ["calls", "next_cursor", "filters"],
        "properties": {
            "calls": {"type": "array", "items": {"$ref": "#/components/schemas/Call"}},
            "next_cursor": _nullable(STR),
            "filters": {"type": "object", "additionalProperties": STR},
        },
    },
    "Correction": {
        "type": "object",
        "required": ["correction", "call"],
        "properties": {
            "correction": {"$ref": "#/components/schemas/Event"},
            "call": {"$ref": "#/components/schemas/Call"},
        },
    },
    "OwedCalls": {
        "type": "object",
        "required": ["owed_calls"],
        "properties": {
            "owed_calls": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "candidate_id", "reason", "due_at", "attempts"],
                    "properties": {
                        "id": INT,
                        "candidate_id": _nullable(INT),
                        "candidate_name": _nullable(STR),
                        "recruiter_id": _nullable(INT),
                        "reason": {"type": "string", "enum": list(values(OwedReason))},
                        "opened_at": TIME,
                        "due_at": TIME,
                        "overdue": {"type": "boolean"},
                        "attempts": INT,
                        "last_attempt_at": _nullable(TIME),
                        "callback_task_id": _nullable(INT),
                        "may_close": {"type": "boolean"},
                    },
                },
            },
        },
    },
    "AccessRecordPage": {
        "type": "object",
        "required": ["access_records", "next_before"],
        "properties": {
            "access_records": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "seq", "at", "user_id", "action"],
                    "properties": {
                        "id": INT,
                        "seq": INT,
                        "at": TIME,
                        "user_id": INT,
                        "user_name": STR,
                        "action": STR,
                        "target": STR,
                        "filters": {"type": "object"},
                        "ip": STR,
                        "hash": STR,
                    },
                },
            },
            "next_before": _nullable(INT),
        },
    },
}


def _text(limit: int) -> dict[str, Any]:
    return _nullable({"type": "string", "maxLength": limit})


CANDIDATE_INPUT: dict[str, Any] = {
    "type": "object",
    "description": "Any of a candidate's fields; a field left out is left as it is. A phone "
    "number may be typed in national format (read in DEFAULT_PHONE_REGION) and is stored in "
    "E.164. An empty or null optional field means none. Unknown fields are refused (400).",
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "maxLength": NAME_MAX},
        "phone": {
            "type": "string",
            "format": "phone",
            "description": "Like (415) 555-0133 or +44 20 7946 0958.",
        },
        "email": {**_text(EMAIL_MAX), "format": "email"},
        "owner_id": _nullable(
            {
                **ID,
                "description": "An active recruiter. A recruiter's new candidate is theirs "
                "unless another recruiter is named; an admin's is unowned unless one is named.",
            }
        ),
        "stage": {"type": "string", "enum": list(STAGES)},
        "timezone": _nullable(
            {
                "type": "string",
                "maxLength": 64,
                "description": "IANA, like Europe/London; by default the phone number's own "
                "zone when it has one, else the business timezone.",
            }
        ),
        "external_id": _text(EXTERNAL_ID_MAX),
        "source": _text(SOURCE_MAX),
        "do_not_call": {"type": "boolean"},
        "do_not_call_reason": _text(REASON_MAX),
        "reason": {
            **_text(REASON_MAX),
            "description": "Why: kept with a stage, owner or do-not-call change; clearing "
            "do-not-call requires it.",
        },
    },
}

TIMELINE_ENTRY: dict[str, Any] = {
    "type": "object",
    "required": ["at", "kind", "title", "summary"],
    "properties": {
        "at": TIME,
        "kind": {"type": "string", "description": "`call`, or the event's kind."},
        "title": STR,
        "summary": STR,
        "call_id": _nullable(INT),
        "event_id": _nullable(INT),
        "actor_id": _nullable(INT),
        "detail": {"type": "object", "nullable": True},
    },
}

CANDIDATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "id",
        "name",
        "phone",
        "email",
        "owner_id",
        "owner_name",
        "stage",
        "timezone",
        "local_time",
        "do_not_call",
        "do_not_call_reason",
        "code",
        "external_id",
        "source",
        "created_at",
        "updated_at",
        "last_contact_at",
    ],  # fmt: skip
    "properties": {
        "id": INT,
        "name": STR,
        "phone": {"type": "string", "description": "E.164."},
        "email": _nullable(STR),
        "owner_id": _nullable(INT),
        "owner_name": _nullable(STR),
        "stage": {"type": "string", "enum": list(STAGES)},
        "timezone": STR,
        "local_time": {
            **TIME,
            "description": "Now on the candidate's clock, with its UTC offset.",
        },
        "do_not_call": {"type": "boolean"},
        "do_not_call_reason": _nullable(STR),
        "code": {"type": "string", "description": "Six digits a recruiter keys in to dial in."},
        "external_id": _nullable(STR),
        "source": _nullable(STR),
        "created_at": TIME,
        "updated_at": _nullable(TIME),
        "last_contact_at": _nullable(TIME),
        "timeline": {
            "type": "array",
            "description": "Reading one candidate only: newest first. Recruiters (their own) "
            "and auditors see calls, outcomes, voicemails and notes; admins the record's "
            "changes only.",
            "items": {"$ref": "#/components/schemas/TimelineEntry"},
        },
        "stage_history": {
            "type": "array",
            "description": "Reading one candidate only: each stage, oldest first.",
            "items": {"$ref": "#/components/schemas/StageStep"},
        },
    },
}

SCHEMAS.update(
    {
        "CandidateInput": CANDIDATE_INPUT,
        "Candidate": CANDIDATE_SCHEMA,
        "CandidatePage": {
            "type": "object",
            "required": ["candidates", "next_cursor", "filters"],
            "properties": {
                "candidates": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/Candidate"},
                },
                "next_cursor": _nullable(STR),
                "filters": {"type": "object", "additionalProperties": STR},
            },
        },
        "TimelineEntry": TIMELINE_ENTRY,
        "StageStep": {
            "type": "object",
            "required": ["at", "from", "to", "actor_id", "reason", "event_id"],
            "properties": {
                "at": TIME,
                "from": _nullable({"type": "string", "description": "None when created."}),
                "to": _nullable(STR),
                "actor_id": _nullable(INT),
                "reason": _nullable(STR),
                "event_id": INT,
            },
        },
        "Note": {
            "type": "object",
            "required": ["text"],
            "properties": {"text": {"type": "string", "minLength": 1, "maxLength": NOTE_MAX}},
        },
    }
)

CALL_ID = {"name": "call_id", "in": "path", "required": True, "schema": ID}
CANDIDATE_ID = {"name": "candidate_id", "in": "path", "required": True, "schema": ID}
# One path segment: no slash, and not `.` or `..` (clients resolve those away).
PATH_SEGMENT: dict[str, Any] = {
    "type": "string",
    "minLength": 1,
    "pattern": r"^(?:[^/.][^/]*|\.[^/.][^/]*|\.\.[^/]+)$",
}
ATS_KEY = [
    {
        "name": "source",
        "in": "path",
        "required": True,
        "description": "Which ATS, like greenhouse.",
        "schema": {**PATH_SEGMENT, "maxLength": SOURCE_MAX},
    },
    {
        "name": "external_id",
        "in": "path",
        "required": True,
        "description": "The ATS's own id for this person.",
        "schema": {**PATH_SEGMENT, "maxLength": EXTERNAL_ID_MAX},
    },
]
CANDIDATE_FILTERS: list[dict[str, Any]] = [
    {
        "name": "q",
        "in": "query",
        "description": "Name or email containing this (any case), the six-digit code, or "
        "the phone number in any format.",
        "schema": {"type": "string", "maxLength": MAX_QUERY},
    },
    {"name": "stage", "in": "query", "schema": {"type": "string", "enum": list(STAGES)}},
    {"name": "owner_id", "in": "query", "schema": ID},
    {"name": "do_not_call", "in": "query", "schema": {"type": "string", "enum": BOOL}},
    {
        "name": "not_called_days",
        "in": "query",
        "description": "Only those not contacted in this many days (or never).",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_DAYS},
    },
    {
        "name": "scope",
        "in": "query",
        "description": "For recruiters: `mine` (default) or the whole `team`.",
        "schema": {"type": "string", "enum": list(SCOPES), "default": "mine"},
    },
    {
        "name": "sort",
        "in": "query",
        "schema": {"type": "string", "enum": list(SORTS), "default": "name"},
    },
]
CONFLICT = _error("Another candidate has this phone number or ATS id; `existing_id` names it.")
CANDIDATE_NOT_FOUND = _error("No such candidate, or not one this user may read.")


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _created(description: str, ref: str) -> dict[str, Any]:
    return {
        **_json(description, ref),
        "headers": {"Location": {"schema": STR, "description": "The candidate's URL."}},
    }


def _note_post(
    summary: str, parameter: dict[str, Any], not_found: dict[str, Any]
) -> dict[str, Any]:
    """A recruiter's note on what the path names (a candidate, a call)."""
    return {
        "post": {
            "summary": summary,
            "x-roles": ["recruiter"],
            "parameters": [parameter],
            "requestBody": _body({"$ref": "#/components/schemas/Note"}),
            "responses": {
                "201": _json("The note, as a chained event.", "Event"),
                "400": BAD_REQUEST,
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": not_found,
            },
        }
    }


CANDIDATE_PATHS: dict[str, Any] = {
    "/candidates": {
        "get": {
            "summary": "Find candidates: search, filter and sort, in keyset pages.",
            "description": "Recruiters see their own (scope=team: everyone's); auditors and "
            "admins everyone's, and each auditor's read is recorded. Pass `next_cursor` back "
            "as `cursor` with the same filters for the next page.",
            "x-roles": ["recruiter", "auditor", "admin"],
            "parameters": [
                *CANDIDATE_FILTERS,
                {"name": "cursor", "in": "query", "schema": STR},
                LIMIT,
            ],
            "responses": {
                "200": _json("A page of candidates.", "CandidatePage"),
                "400": BAD_REQUEST,
                "401": UNAUTHORIZED,
            },
        },
        "post": {
            "summary": "Add a candidate.",
            "x-roles": ["recruiter", "admin"],
            "requestBody": _body(
                {
                    "allOf": [{"$ref": "#/components/schemas/CandidateInput"}],
                    "required": ["name", "phone"],
                }
            ),
            "responses": {
                "201": _created("The new candidate.", "Candidate"),
                "400": BAD_REQUEST,
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "409": CONFLICT,
                "503": _error("No free dial-in code could be drawn; try again."),
            },
        },
    },
    "/candidates/{candidate_id}": {
        "get": {
            "summary": "One candidate with its timeline and stage history.",
            "x-roles": ["recruiter", "auditor", "admin"],
            "parameters": [CANDIDATE_ID],
            "responses": {
                "200": _json("The candidate.", "Candidate"),
                "401": UNAUTHORIZED,
                "404": CANDIDATE_NOT_FOUND,
            },
        },
        "patch": {
            "summary": "Change a candidate: details, stage, owner, do-not-call.",
            "description": "Stage, owner and do-not-call changes are chained events with who, "
            "from, to and `reason`; clearing do-not-call requires `reason`. Only real changes "
            "write events.",
            "x-roles": ["recruiter", "admin"],
            "parameters": [CANDIDATE_ID],
            "requestBody": _body({"$ref": "#/components/schemas/CandidateInput"}),
            "responses": {
                "200": _json("The candidate as it now stands.", "Candidate"),
                "400": BAD_REQUEST,
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": CANDIDATE_NOT_FOUND,
                "409": CONFLICT,
            },
        },
    },
    "/candidates/by-external-id/{source}/{external_id}": {
        "put": {
            "summary": "Create or update the candidate an ATS knows by this key (idempotent).",
            "description": "The path's source and external_id win over any in the body. An "
            "existing candidate with the same phone and no other id of this ATS is linked. "
            "The same body twice writes nothing the second time.",
            "x-roles": ["recruiter", "admin"],
            "parameters": ATS_KEY,
            "requestBody": _body({"$ref": "#/components/schemas/CandidateInput"}),
            "responses": {
                "200": _json("The candidate, brought up to date.", "Candidate"),
                "201": _created("The candidate, created.", "Candidate"),
                "400": BAD_REQUEST,
                "401": UNAUTHORIZED,
                "403": _error("Not a recruiter or admin, or another recruiter's candidate."),
                "409": CONFLICT,
                "503": _error("No free dial-in code could be drawn; try again."),
            },
        }
    },
    "/candidates/{candidate_id}/notes": _note_post(
        "A note on one of the recruiter's candidates; on its timeline.",
        CANDIDATE_ID,
        CANDIDATE_NOT_FOUND,
    ),
    "/calls/{call_id}/notes": _note_post(
        "A note on a call the recruiter may read; on the call and the candidate's timeline.",
        CALL_ID,
        _error("No such call, or not one this user may read."),
    ),
}

PATHS: dict[str, Any] = {
    "/health": {
        "get": {
            "summary": "Liveness and database readiness.",
            "security": [],
            "responses": {
                "200": {
                    "description": "The service and its database answer.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["status"],
                                "properties": {"status": {"type": "string", "enum": ["ok"]}},
                            }
                        }
                    },
                }
            },
        }
    },
    "/me": {
        "get": {
            "summary": "Whose token this is.",
            "responses": {
                "200": {
                    "description": "The token's user.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["id", "name", "email", "role"],
                                "properties": {
                                    "id": INT,
                                    "name": STR,
                                    "email": STR,
                                    "role": {
                                        "type": "string",
                                        "enum": ["recruiter", "auditor", "admin"],
                                    },
                                },
                            }
                        }
                    },
                },
                "401": UNAUTHORIZED,
            },
        }
    },
    "/calls": {
        "get": {
            "summary": "The call log: filtered, newest first, in keyset pages.",
            "description": "Recruiters see their own calls and their candidates'; auditors "
            "see every call, and each read is recorded. Pass `next_cursor` back as `cursor` "
            "with the same filters for the next page; rows added meanwhile never shift a page.",
            "x-roles": ["recruiter", "auditor"],
            "parameters": [
                *CALL_FILTERS,
                {"name": "cursor", "in": "query", "schema": STR},
                LIMIT,
            ],
            "responses": {
                "200": _json("A page of calls.", "CallPage"),
                "400": BAD_REQUEST,
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
            },
        },
        "post": {
            "summary": "One-click call: ring the recruiter, then bridge them to the candidate.",
            "x-roles": ["recruiter"],
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["candidate_id"],
                    "properties": {
                        "candidate_id": {"type": "integer", "minimum": 1},
                        "override_reason": {
                            "type": "string",
                            "maxLength": 500,
                            "description": "Why the call is placed outside the candidate's "
                            "calling window (their local CALLING_HOURS); logged on the call.",
                        },
                    },
                    "description": "An id above 2**31-1 names no candidate (404).",
                }
            ),
            "responses": {
                "201": _json("The call, ringing the recruiter's phone.", "Call"),
                "202": _json(
                    "The phone network did not confirm the call in time: it may be ringing. "
                    "`unconfirmed` is true and `message` says the call is being checked.",
                    "Call",
                ),
                "400": BAD_REQUEST,
                "401": UNAUTHORIZED,
                "403": _error("Not a recruiter, or not this recruiter's candidate."),
                "404": _error("No such candidate."),
                "409": _error(
                    "A call is already live, the candidate is do-not-call, or it is outside "
                    "their calling window (`opens_at`; send `override_reason` to call anyway)."
                ),
                "422": _error("A phone number is missing or cannot be dialled."),
                "502": _error("The phone network refused or could not be reached."),
            },
        },
    },
    "/calls.csv": {
        "get": {
            "summary": "Export the filtered call log as CSV, streamed.",
            "description": "A header row, then one row per call; times are ISO-8601 UTC. "
            "Phone numbers are masked when MASK_PHONE_NUMBERS_IN_EXPORTS is set.",
            "x-roles": ["recruiter", "auditor"],
            "parameters": CALL_FILTERS,
            "responses": {
                "200": {"description": "CSV", "content": {"text/csv": {"schema": STR}}},
                "400": BAD_REQUEST,
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
            },
        }
    },
    "/calls/{call_id}": {
        "get": {
            "summary": "One call with its full event timeline.",
            "x-roles": ["recruiter", "auditor"],
            "parameters": [CALL_ID],
            "responses": {
                "200": _json("The call and its events.", "Call"),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": _error("No such call, or not one this user may read."),
            },
        }
    },
    "/calls/{call_id}/outcome-corrections": {
        "post": {
            "summary": "Correct a call's outcome; the original stays in the timeline.",
            "x-roles": ["recruiter"],
            "parameters": [CALL_ID],
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["digit", "reason"],
                    "properties": {
                        "digit": {"type": "string", "pattern": "^[0-9]$"},
                        "reason": {"type": "string", "minLength": 1, "maxLength": 500},
                    },
                }
            ),
            "responses": {
                "201": _json("The correction event and the call as it now stands.", "Correction"),
                "400": BAD_REQUEST,
                "401": UNAUTHORIZED,
                "403": _error("Not the recruiter who made the call."),
                "404": _error("No such call, or not one this user may read."),
                "409": _error("The call is live, or already has that outcome."),
                "422": _error("No such active outcome digit, or no reason given."),
            },
        }
    },
    "/owed-calls": {
        "get": {
            "summary": "Open owed calls (closure calls, callbacks, call back later, offers "
            "waiting for an answer), soonest due first.",
            "description": "A recruiter gets their own; auditors and admins may pass "
            "`recruiter_id` (without it: every recruiter's). Auditors' reads are recorded.",
            "x-roles": ["recruiter", "auditor", "admin"],
            "parameters": [{"name": "recruiter_id", "in": "query", "schema": ID}],
            "responses": {
                "200": _json("The open owed calls.", "OwedCalls"),
                "400": BAD_REQUEST,
                "401": UNAUTHORIZED,
                "403": _error("A recruiter asked for another recruiter's owed calls."),
            },
        }
    },
    "/owed-calls/next": {
        "post": {
            "summary": "Call next: ring the recruiter for the first owed call that may be placed "
            "now; after each outcome the next rings, until the queue is done or paused.",
            "x-roles": ["recruiter"],
            "responses": {
                "201": _json("The call, ringing the recruiter's phone.", "Call"),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "409": _error("Nobody in the queue can be called now, or a call is live."),
                "422": _error("The recruiter has no phone number."),
                "502": _error("The phone network refused or could not be reached."),
            },
        }
    },
    "/access-records": {
        "get": {
            "summary": "Who read the call log, newest first (admins).",
            "x-roles": ["admin"],
            "parameters": [
                {"name": "before", "in": "query", "schema": ID},
                LIMIT,
            ],
            "responses": {
                "200": _json("A page of access records.", "AccessRecordPage"),
                "400": BAD_REQUEST,
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
            },
        }
    },
}

PATHS.update(CANDIDATE_PATHS)

DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "Recruiter phone API",
        "version": "1",
        "description": "Bearer tokens (`flask --app ivr create-user` prints one). "
        'Every error is JSON: `{"error": reason}`.',
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": SCHEMAS,
    },
    "paths": PATHS,
}


@bp.get("/openapi.json")
def openapi_document() -> ResponseReturnValue:
    return DOCUMENT
