"""The candidate import page: upload a CSV, read what was created, updated and rejected."""

from __future__ import annotations

from flask import current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from ivr.candidates import importer
from ivr.candidates.records import Rules
from ivr.config import UPLOAD_LIMIT_KEY, settings
from ivr.db import get_session
from ivr.security import role_required
from ivr.web import bp
from ivr.web.forms import ImportCandidatesForm
from models import Role
from models.enums import STAGES


def _page(form: ImportCandidatesForm, status: int = 200, **context: object) -> ResponseReturnValue:
    limit = current_app.config[UPLOAD_LIMIT_KEY]
    return render_template(
        "candidates_import.html",
        form=form,
        limit_mb=limit / (1024 * 1024),
        columns=importer.COLUMNS,
        stages=STAGES,
        **context,
    ), status


@bp.route("/candidates/import", methods=["GET", "POST"])
@role_required(Role.RECRUITER, Role.ADMIN)
def import_candidates() -> ResponseReturnValue:
    form = ImportCandidatesForm()
    if not form.validate_on_submit():
        return _page(form, 400 if form.is_submitted() else 200)
    # This request's session has read the signed-in user; end that transaction (on SQLite it
    # holds the write lock) before the import runs its own, one per batch of rows.
    get_session().commit()
    text = importer.open_text(form.file.data.stream)
    try:
        report = importer.import_candidates(
            current_app.extensions["db_sessionmaker"],
            current_user._get_current_object(),
            text,
            Rules.from_settings(settings()),
            dry_run=bool(form.dry_run.data),
        )
    except importer.ImportFileError as exc:
        return _page(form, 400, error=str(exc))
    finally:
        text.detach()
    return _page(form, report=report)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge) -> ResponseReturnValue | RequestEntityTooLarge:
    if request.endpoint != "web.import_candidates" or not current_user.is_authenticated:
        return exc
    limit_mb = current_app.config[UPLOAD_LIMIT_KEY] / (1024 * 1024)
    error = f"the file is larger than {limit_mb:g} MB; split it, or import it with the command line"
    return _page(ImportCandidatesForm(formdata=None), 413, error=error)
