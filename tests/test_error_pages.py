"""Issue 9: people who hit an error see it in the app's layout, in plain words, with a way back;
callers and API clients keep the answers they had."""

from __future__ import annotations

import pytest
from flask import abort

from tests.test_admin_pages import signed_in
from tests.twiml_helpers import parse, spoken, verbs


@pytest.fixture
def riley(make_user):
    return make_user(name="Riley Recruiter", email="riley@example.com")


def way_back(html: str) -> str:
    start = html.index('id="way-back"')
    return html[html.rindex("<a", 0, start) : html.index("</a>", start)]


def test_a_missing_page_is_shown_in_the_layout_with_a_way_home_when_signed_in(app, riley):
    response = signed_in(app, riley).get("/no-such-page")

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "We could not find that page" in response.text
    assert 'href="/calls">My calls today</a>' in response.text  # the layout's nav
    assert 'href="/"' in way_back(response.text)


def test_a_missing_page_offers_sign_in_when_signed_out(client):
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert "We could not find that page" in response.text
    assert 'href="/login"' in way_back(response.text)
    assert "Sign out" not in response.text


def test_a_missing_record_is_the_same_page(app, make_user):
    admin = make_user("admin")

    response = signed_in(app, admin).post("/admin/users/99999", data={})

    assert response.status_code == 404
    assert "We could not find that page" in response.text


def test_a_page_for_another_role_is_refused_in_the_layout_with_a_way_home(app, riley):
    response = signed_in(app, riley).get("/admin/users")

    assert response.status_code == 403
    assert "This page is not open to you" in response.text
    assert "Sign out" in response.text
    assert 'href="/"' in way_back(response.text)


def test_a_refusal_when_signed_out_offers_sign_in(app):
    app.add_url_rule("/refused-for-test", "refused_for_test", lambda: abort(403))

    response = app.test_client().get("/refused-for-test")

    assert response.status_code == 403
    assert "This page is not open to you" in response.text
    assert 'href="/login"' in way_back(response.text)


def test_a_wrong_method_keeps_its_allow_header_on_the_page(app, riley):
    response = signed_in(app, riley).get("/logout")

    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert "That is not something this page does" in response.text


def test_a_form_without_its_csrf_token_is_explained(app, riley):
    response = app.test_client().post("/login", data={"email": "riley@example.com"})

    assert response.status_code == 400
    assert "the form had expired" in response.text
    assert 'href="/login"' in way_back(response.text)


@pytest.mark.expected_errors
def test_an_unexpected_error_is_a_page_in_the_layout(app, riley):
    def boom():
        raise RuntimeError("secret internals")

    app.add_url_rule("/boom-for-test", "boom_for_test", boom)

    response = signed_in(app, riley).get("/boom-for-test")

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert "secret internals" not in response.text
    assert 'href="/"' in way_back(response.text)


def test_api_errors_stay_json(client):
    response = client.get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert set(response.json) == {"error"}


def test_a_voice_webhook_that_is_not_there_still_apologises_in_twiml(client):
    response = client.post("/voice/no-such-hook", data={"CallSid": "CA" + "1" * 32})

    assert response.status_code == 200
    twiml = parse(response.data)
    assert verbs(twiml) == ["Say", "Hangup"]
    assert "Sorry, something went wrong" in spoken(twiml)


def test_an_unsigned_voice_webhook_is_still_a_bare_403(client):
    response = client.post("/voice/fallback", data={"CallSid": "CA" + "1" * 32})

    assert response.status_code == 403
    assert "This page is not open to you" not in response.text
