"""Admin pages: users and their roles, team routing, outcome codes, the read-only settings,
and the log of who read what. Admins run the system; they do not read call logs."""

from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ivr import system
from ivr.config import settings
from ivr.db import get_session
from ivr.keyset import whole_number
from ivr.security import role_required
from ivr.system import OUTCOME_FIELDS, USER_FIELDS, ChangeRefused
from ivr.web import bp
from ivr.web.forms import (
    EditUserForm,
    NewUserForm,
    OutcomeCodeForm,
    ResetPasswordForm,
    submitted,
)
from ivr.web.viewer import timezone_choices
from models import AccessRecord, OutcomeCode, Role, User
from models.base import MAX_ID

log = logging.getLogger(__name__)
ACCESS_PAGE = 100


def _users_page(
    new_form: NewUserForm | None = None,
    status: int = 200,
    edit_form: EditUserForm | None = None,
    edited: int | None = None,
) -> ResponseReturnValue:
    users = get_session().scalars(select(User).order_by(User.role, User.name, User.id)).all()
    edit_forms = {u.id: EditUserForm(formdata=None, obj=u, prefix=f"u{u.id}") for u in users}
    if edit_form is not None and edited is not None:
        edit_forms[edited] = edit_form  # what the admin typed, with the reason it was refused
    password_forms = {u.id: ResetPasswordForm(formdata=None, prefix=f"p{u.id}") for u in users}
    return render_template(
        "admin_users.html",
        users=users,
        new_form=NewUserForm(formdata=None) if new_form is None else new_form,
        edit_forms=edit_forms,
        password_forms=password_forms,
        edited=edited,
        timezones=timezone_choices(),
        business_zone=settings().timezone,
    ), status


def _refused(form: FlaskForm, refused: ChangeRefused) -> None:
    field = form[refused.field] if refused.field in form else None
    if field is not None:
        field.errors = [*field.errors, refused.reason]
    else:
        form.form_errors.append(refused.reason)


@bp.get("/admin/users")
@role_required(Role.ADMIN)
def admin_users() -> ResponseReturnValue:
    return _users_page()


@bp.post("/admin/users")
@role_required(Role.ADMIN)
def admin_create_user() -> ResponseReturnValue:
    form = NewUserForm()
    if not form.validate_on_submit():
        return _users_page(form, 400)
    session = get_session()
    values = submitted(form, "name", "email", "role", "phone", "hunt_order", "is_available",
                       "timezone")  # fmt: skip
    try:
        user = system.create_user(session, current_user, values, form.password.data or "")
        session.commit()
    except ChangeRefused as refused:
        session.rollback()
        _refused(form, refused)
        return _users_page(form, refused.status)
    except IntegrityError:
        session.rollback()
        taken = "that email, phone or hunt order belongs to another user"
        form.email.errors = [*form.email.errors, taken]
        return _users_page(form, 409)
    log.info("admin %s created user %s (%s)", current_user.id, user.id, user.role)
    flash(f"Added {user.name}.", "info")
    return redirect(url_for("web.admin_users"), 303)


def _user_or_404(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.post("/admin/users/<id:user_id>")
@role_required(Role.ADMIN)
def admin_update_user(user_id: int) -> ResponseReturnValue:
    session = get_session()
    user = _user_or_404(user_id)
    name = user.name
    form = EditUserForm(prefix=f"u{user.id}")
    if not form.validate_on_submit():
        flash(f"{name} not changed: {_errors(form)}.", "error")
        return _users_page(status=400, edit_form=form, edited=user.id)
    try:
        event = system.update_user(session, current_user, user, submitted(form, *USER_FIELDS))
        session.commit()
    except ChangeRefused as refused:
        session.rollback()
        _refused(form, refused)
        flash(f"{name} not changed: {refused.reason}.", "error")
        return _users_page(status=refused.status, edit_form=form, edited=user_id)
    except IntegrityError:
        session.rollback()
        taken = "that email, phone or hunt order belongs to another user"
        flash(f"{name} not changed: {taken}.", "error")
        return _users_page(status=409, edit_form=form, edited=user_id)
    if event is None:
        flash(f"Nothing to change for {user.name}.", "info")
    else:
        log.info("admin %s changed user %s: %s", current_user.id, user.id, event.detail["fields"])
        flash(f"Saved {user.name}.", "info")
    return redirect(url_for("web.admin_users", _anchor=f"user-{user.id}"), 303)


@bp.post("/admin/users/<id:user_id>/password")
@role_required(Role.ADMIN)
def admin_reset_password(user_id: int) -> ResponseReturnValue:
    session = get_session()
    user = _user_or_404(user_id)
    form = ResetPasswordForm(prefix=f"p{user.id}")
    if not form.validate_on_submit():
        flash(f"Password of {user.name} not reset: {_errors(form)}.", "error")
        return _users_page(status=400, edited=user.id)
    try:
        system.reset_password(session, current_user, user, form.password.data or "")
        session.commit()
    except ChangeRefused as refused:
        session.rollback()
        flash(f"Password of {user.name} not reset: {refused.reason}.", "error")
        return _users_page(status=refused.status, edited=user.id)
    log.info("admin %s reset the password of user %s", current_user.id, user.id)
    flash(f"New password set for {user.name}; tell them through a channel you trust.", "info")
    return redirect(url_for("web.admin_users", _anchor=f"user-{user.id}"), 303)


def _errors(form: FlaskForm) -> str:
    return "; ".join(
        f"{form[name].label.text}: {' '.join(e).rstrip('.')}" for name, e in form.errors.items()
    )


def _codes_page(form: OutcomeCodeForm, status: int = 200) -> ResponseReturnValue:
    codes = get_session().scalars(select(OutcomeCode).order_by(OutcomeCode.digit)).all()
    return render_template("admin_outcome_codes.html", codes=codes, form=form), status


@bp.get("/admin/outcome-codes")
@role_required(Role.ADMIN)
def admin_outcome_codes() -> ResponseReturnValue:
    """The codes, and the form: empty for a new code, or (?digit=N) filled with code N."""
    digit = request.args.get("digit", "")
    code = None
    if len(digit) == 1 and digit.isdigit():
        code = get_session().scalar(select(OutcomeCode).where(OutcomeCode.digit == digit))
    if code is None:
        data = {"digit": digit} if len(digit) == 1 and digit.isdigit() else {}
        return _codes_page(OutcomeCodeForm(formdata=None, data=data))
    form = OutcomeCodeForm(formdata=None, data={
        "digit": code.digit, "label": code.label, "sets_stage": code.sets_stage or "",
        "marks_do_not_call": code.marks_do_not_call, "is_active": code.is_active})  # fmt: skip
    return _codes_page(form)


@bp.post("/admin/outcome-codes")
@role_required(Role.ADMIN)
def admin_save_outcome_code() -> ResponseReturnValue:
    """Add a code, or change the one with that digit: only the fields sent change."""
    form = OutcomeCodeForm()
    if not form.validate_on_submit():
        return _codes_page(form, 400)
    session = get_session()
    try:
        code, event = system.save_outcome_code(
            session, current_user, form.digit.data or "", submitted(form, *OUTCOME_FIELDS)
        )
        session.commit()
    except ChangeRefused as refused:
        session.rollback()
        _refused(form, refused)
        return _codes_page(form, refused.status)
    except IntegrityError:
        session.rollback()
        form.digit.errors = [*form.digit.errors, "someone saved that digit at the same moment"]
        return _codes_page(form, 409)
    if event is None:
        flash(f"Nothing to change for outcome {code.digit}.", "info")
    else:
        log.info("admin %s saved outcome code %s", current_user.id, code.digit)
        flash(f"Saved outcome {code.digit}: {code.label}.", "info")
    return redirect(url_for("web.admin_outcome_codes"), 303)


@bp.get("/admin/access")
@role_required(Role.ADMIN)
def admin_access_log() -> ResponseReturnValue:
    before = whole_number(request.args.get("before"), 1, MAX_ID)
    stmt = select(AccessRecord).options(selectinload(AccessRecord.user))
    if before is not None:
        stmt = stmt.where(AccessRecord.id < before)
    records = get_session().scalars(stmt.order_by(AccessRecord.id.desc()).limit(ACCESS_PAGE)).all()
    older = records[-1].id if len(records) == ACCESS_PAGE else None
    return render_template("admin_access.html", records=records, older=older)


@bp.get("/admin/settings")
@role_required(Role.ADMIN)
def admin_settings() -> ResponseReturnValue:
    s = settings()
    # Only what is safe to show: no secrets, tokens or database URLs.
    shown = {
        "Company name": s.company_name,
        "Company number": s.twilio_phone_number,
        "Telephony": s.telephony,
        "Public base URL": s.public_base_url or "(request host)",
        "Business timezone": s.timezone,
        "Business hours": s.business_hours,
        "Business days": s.business_days,
        "Mask phone numbers in exports": "yes" if s.mask_phone_numbers_in_exports else "no",
    }
    return render_template("admin_settings.html", shown=shown)
