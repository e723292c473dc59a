"""My settings: what every signed-in person may set for themselves (their timezone), and a
recruiter's PIN for the recruiter line."""

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
from ivr.web.forms import LinePinForm, MySettingsForm, submitted
from ivr.web.viewer import timezone_choices
from models import Role, User, utcnow
from models.user import PIN_MAX, PIN_MIN

log = logging.getLogger(__name__)


def _page(
    form: MySettingsForm, status: int = 200, pin_form: LinePinForm | None = None
) -> ResponseReturnValue:
    return render_template(
        "my_settings.html",
        form=form,
        pin_form=pin_form or LinePinForm(formdata=None),
        has_line=current_user.role == Role.RECRUITER,
        pin_rule=f"{PIN_MIN} to {PIN_MAX} digits",
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


@bp.post("/me/line-pin")
@role_required(Role.RECRUITER)
def save_line_pin() -> ResponseReturnValue:
    """The recruiter line asks for this PIN before it opens voicemails or places a call."""
    pin_form = LinePinForm()
    settings_form = MySettingsForm(formdata=None, obj=current_user)
    if not pin_form.validate_on_submit():
        return _page(settings_form, 400, pin_form)
    session = get_session()
    me = session.get_one(User, current_user.id)
    try:
        system.set_line_pin(session, me, me, pin_form.pin.data or "")
        session.commit()
    except ChangeRefused as refused:
        session.rollback()
        pin_form.pin.errors = [*pin_form.pin.errors, refused.reason]
        return _page(settings_form, refused.status, pin_form)
    log.info("user %s set their recruiter line PIN", current_user.id)
    flash("Your recruiter line PIN is set. The line asks for it on every call.", "info")
    return redirect(url_for("web.my_settings"), 303)
