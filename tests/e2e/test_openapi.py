"""The OpenAPI document describes every JSON endpoint, and the running app keeps to it:
schemathesis generates requests from the document, sends them over HTTP with each role's
token, and checks every response (no 5xx, documented status, body matches the schema)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from tests.e2e.conftest import Line

ROLES = ("recruiter", "auditor", "admin")


def test_document_covers_every_json_endpoint(app):
    document = app.test_client().get("/api/v1/openapi.json").json
    documented = {
        (method.upper(), "/api/v1" + path.replace("{call_id}", "<id:call_id>"))
        for path, ops in document["paths"].items()
        for method in ops
    }
    served = {
        (method, rule.rule)
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


@pytest.mark.parametrize("role", ROLES)
def test_the_running_app_matches_its_document(
    role, make_line, make_user, make_candidate, api_token, session
):
    line: Line = make_line()
    user = make_user(role)
    # Something to find: a candidate and a finished call of this recruiter's, if a recruiter.
    if role == "recruiter":
        make_candidate(owner=user)
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
