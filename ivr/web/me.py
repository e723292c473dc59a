"""My settings: what every signed-in person may set for themselves (their timezone)."""

from __future__ import annotations

import logging

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ivr import system
from ivr.config import settings
from ivr.db import get_session
from ivr.security import role_required
from ivr.system import ChangeRefused
from ivr.web import bp
from ivr.web.forms import MySettingsForm, submitted
from ivr.web.viewer import timezone_choices
from models import User, utcnow

log = logging.getLogger(__name__)


def _page(form: MySettingsForm, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "my_settings.html",
        form=form,
        timezones=timezone_choices(),
        business_zone=settings().timezone,
        now=utcnow(),
    ), status


@bp.get("/me/settings")
@role_required()
def my_settings() -> ResponseReturnValue:
    return _page(MySettingsForm(formdata=None, obj=current_user))


@bp.post("/me/settings")
@role_required()
def save_my_settings() -> ResponseReturnValue:
    form = MySettingsForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    session = get_session()
    me = session.get_one(User, current_user.id)
    try:
        event = system.update_user(session, me, me, submitted(form, "timezone"))
        session.commit()
    except ChangeRefused as refused:
        session.rollback()
        form.timezone.errors = [*form.timezone.errors, refused.reason]
        return _page(form, refused.status)
    if event is not None:
        log.info("user %s changed their timezone", current_user.id)
    zone = me.timezone or f"the business timezone ({settings().timezone})"
    flash(f"Times are now shown in {zone}.", "info")
    return redirect(url_for("web.my_settings"), 303)
