"""Pages for people: recruiters, auditors and admins, behind a session login."""

from flask import Blueprint

bp = Blueprint(
    "web", __name__, template_folder="templates", static_folder="static", static_url_path="/assets"
)

from ivr.web import (  # noqa: E402,F401  (routes register on bp)
    admin,
    auth,
    callbacks,
    calls,
    candidates,
    changes,
    imports,
    log,
    me,
    owed,
    viewer,
)
