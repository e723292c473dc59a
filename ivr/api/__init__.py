"""The JSON API, version 1: bearer tokens, JSON in and out, 4xx with a reason."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from ivr.api import access, calls, candidates, health, openapi, owed  # noqa: E402,F401  (routes register on bp)
