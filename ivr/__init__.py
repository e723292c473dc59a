"""The Flask app: create_app() wires config, proxy handling, database and blueprints."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from ivr import db, logs
from ivr.config import UPLOAD_LIMIT_KEY, Settings, load_settings
from models.base import MAX_ID
from models.user import use_testing_password_method


def create_app(env: Mapping[str, str] | None = None, *, settings: Settings | None = None) -> Flask:
    """Build the app from `env` (default: os.environ) or from ready-made settings."""
    settings = settings or load_settings(env)
    app = Flask(__name__, instance_relative_config=False)
    logs.init_app(app)
    app.config.update(settings.to_flask())
    if settings.proxy_count:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way
            app.wsgi_app,
            x_for=settings.proxy_count,
            x_proto=settings.proxy_count,
            x_host=settings.proxy_count,
            x_port=settings.proxy_count,
            x_prefix=settings.proxy_count,
        )
    # <id:...> in routes: a positive 32-bit id; anything else is a 404 before the view runs.
    app.url_map.converters["id"] = IdConverter
    db.init_app(app, settings.database_url, settings.database_timeout)
    use_testing_password_method(settings.testing)

    from ivr import cli, errors, headers, ratelimit, security, spool, telephony

    spool.init_app(app, settings.spool_path)
    telephony.init_app(app, settings)
    # Before the CSRF check reads the form: only the upload page takes a body past 1 MB.
    app.before_request(_upload_limit)
    security.init_app(app)
    ratelimit.init_app(app, settings)
    errors.init_app(app)
    headers.init_app(app)
    cli.init_app(app)
    _register_blueprints(app)
    return app


# The pages that take a file upload (their own, larger size limit; see ivr.config).
UPLOAD_ENDPOINTS = frozenset({"web.import_candidates"})


def _upload_limit() -> None:
    if request.endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = current_app.config[UPLOAD_LIMIT_KEY]


class IdConverter(IntegerConverter):
    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)


def _register_blueprints(app: Flask) -> None:
    from ivr.api import bp as api_bp
    from ivr.voice import bp as voice_bp
    from ivr.web import bp as web_bp

    app.register_blueprint(voice_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(web_bp)
