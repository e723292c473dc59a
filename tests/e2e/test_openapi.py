"""The OpenAPI document describes every JSON endpoint, and the running app keeps to it:
schemathesis generates requests from the document, sends them over HTTP with each role's
token, and checks every response (no 5xx, documented status, body matches the schema)."""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import checks

from models import Call
from tests.fixtures.line import Line
from tests.fixtures.twilio import COMPANY_NUMBER

ROLES = ("recruiter", "auditor", "admin")
# The document's "phone" format: numbers as people type them, so candidates get created
# (and collide) rather than every attempt stopping at a 400 for the phone.
schemathesis.openapi.format(
    "phone",
    st.one_of(
        st.from_regex(r"\A\(415\) 555-01[0-9]{2}\Z"),
        st.from_regex(r"\A\+44 20 7946 0[0-9]{3}\Z"),
        st.text(max_size=20),
    ),
)


def test_document_covers_every_json_endpoint(app):
    document = app.test_client().get("/api/v1/openapi.json").json
    documented = {
        (method.upper(), "/api/v1" + path)
        for path, ops in document["paths"].items()
        for method in ops
    }
    # Flask's <converter(args):name> is OpenAPI's {name}.
    served = {
        (method, re.sub(r"<(?:[^>:]+:)?([^>:]+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi_document"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }

    assert documented == served
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            codes = set(op["responses"])
            if op.get("security") != []:
                assert "401" in codes, f"{method} {path} does not document its auth error"


def test_path_parameters_have_the_bounds_their_routes_enforce(app):
    document = app.test_client().get("/api/v1/openapi.json").json
    checked = 0

    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or not rule.arguments:
            continue
        path = re.sub(r"<(?:[^>:]+:)?([^>:]+)>", r"{\1}", rule.rule).removeprefix("/api/v1")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            params = {
                p["name"]: p["schema"]
                for p in document["paths"][path][method.lower()]["parameters"]
            }
            for name, converter in rule._converters.items():
                schema = params[name]
                if hasattr(converter, "max"):
                    bounds = (schema["minimum"], schema["maximum"])
                    assert bounds == (converter.min, converter.max), (path, name)
                else:
                    low, high = re.fullmatch(r"\[\^/\]\{(\d+),(\d+)\}", converter.regex).groups()
                    bounds = (schema["minLength"], schema["maxLength"])
                    assert bounds == (int(low), int(high)), (path, name)
                checked += 1

    assert checked >= 8


@pytest.mark.parametrize("role", ROLES)
def test_the_running_app_matches_its_document(
    role, make_line, make_user, make_candidate, api_token, session
):
    line: Line = make_line()
    user = make_user(role)
    # Something to find, read, change and note: a candidate (this recruiter's, or another
    # recruiter's for the other roles) with a finished call, both with id 1 as hypothesis
    # tries the smallest ids early.
    recruiter = user if role == "recruiter" else make_user("recruiter")
    candidate = make_candidate(owner=recruiter)
    session.add(Call(direction="outbound", recruiter_id=recruiter.id, candidate_id=candidate.id,
                     company_number=COMPANY_NUMBER, status="completed"))  # fmt: skip
    session.commit()
    token = api_token(user)
    schema = schemathesis.openapi.from_url(f"{line.url}/api/v1/openapi.json")
    failures: list[str] = []

    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: 5xx"
            # Every default check except "schema-valid data must be accepted": a filter can be
            # well-formed and still refused with a documented 400 (since later than until).
            case.validate_response(response, excluded_checks=[checks.positive_data_acceptance])

        try:
            check()
        except Exception as failure:  # collect every operation's failure, then report all
            failures.append(f"{operation.label}: {failure}")
        # A call placed by POST /calls rings the recruiter: let it go unanswered, so the
        # recruiter's one-live-call lock is free again for the next operation.
        for leg in line.sim.legs():
            if leg.waiting_for == "answer":
                line.sim.no_answer(leg.sid)

    assert not failures, "\n\n".join(failures)
