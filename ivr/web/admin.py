"""Admin pages: users and their roles, team routing, outcome codes, the read-only settings,
and the log of who read what. Admins run the system; they do not read call logs."""

from __future__ import annotations

import logging

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ivr.db import get_session
from ivr.security import role_required
from ivr.web import bp
from ivr.web.forms import EditUserForm, NewUserForm, OutcomeCodeForm
from models import AccessRecord, OutcomeCode, User
from models.phone import InvalidPhoneNumber

log = logging.getLogger(__name__)
ACCESS_PAGE = 100


def _users_page(new_form: NewUserForm, status: int = 200):  # type: ignore[no-untyped-def]
    users = get_session().scalars(select(User).order_by(User.role, User.name)).all()
    edit_forms = {u.id: EditUserForm(obj=u, prefix=f"u{u.id}") for u in users}
    return render_template(
        "admin_users.html", users=users, new_form=new_form, edit_forms=edit_forms
    ), status


@bp.get("/admin/users")
@role_required("admin")
def admin_users():  # type: ignore[no-untyped-def]
    return _users_page(NewUserForm())


@bp.post("/admin/users")
@role_required("admin")
def admin_create_user():  # type: ignore[no-untyped-def]
    form = NewUserForm()
    if not form.validate_on_submit():
        return _users_page(form, 400)
    session = get_session()
    try:
        user = User(
            name=(form.name.data or "").strip(),
            email=form.email.data or "",
            role=form.role.data or "recruiter",
            phone=form.phone.data or None,
        )
        user.set_password(form.password.data or "")
        session.add(user)
        session.commit()
    except (ValueError, InvalidPhoneNumber) as bad:
        session.rollback()
        form.phone.errors = [*form.phone.errors, str(bad)]
        return _users_page(form, 400)
    except IntegrityError:
        session.rollback()
        form.email.errors = [*form.email.errors, "that email or phone belongs to another user"]
        return _users_page(form, 409)
    log.info("admin %s created user %s (%s)", current_user.id, user.id, user.role)
    flash(f"Added {user.name}.", "info")
    return redirect(url_for("web.admin_users"), 303)


def _active_admins(session) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(
        select(func.count()).select_from(User).where(User.role == "admin", User.is_active)
    )


@bp.post("/admin/users/<id:user_id>")
@role_required("admin")
def admin_update_user(user_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    user = session.get(User, user_id)
    if user is None:
        abort(404)
    form = EditUserForm(prefix=f"u{user.id}")
    if not form.validate_on_submit():
        flash(f"{user.name} not changed: {_errors(form)}.", "error")
        return redirect(url_for("web.admin_users"), 303)
    stays_admin = form.role.data == "admin" and form.is_active.data
    if user.role == "admin" and user.is_active and not stays_admin and _active_admins(session) < 2:
        flash("Keep at least one active admin: promote someone else first.", "error")
        return redirect(url_for("web.admin_users"), 303)
    try:
        user.role = form.role.data or user.role
        user.phone = form.phone.data or None
        user.hunt_order = form.hunt_order.data
        user.is_available = bool(form.is_available.data)
        user.is_active = bool(form.is_active.data)
        session.commit()
    except (ValueError, InvalidPhoneNumber) as bad:
        session.rollback()
        flash(f"{user.name} not changed: {bad}.", "error")
        return redirect(url_for("web.admin_users"), 303)
    except IntegrityError:
        session.rollback()
        flash("Not changed: that phone number belongs to another user.", "error")
        return redirect(url_for("web.admin_users"), 303)
    log.info("admin %s updated user %s", current_user.id, user.id)
    flash(f"Saved {user.name}.", "info")
    return redirect(url_for("web.admin_users"), 303)


def _errors(form) -> str:  # type: ignore[no-untyped-def]
    return "; ".join(f"{form[name].label.text}: {' '.join(e)}" for name, e in form.errors.items())


@bp.get("/admin/outcome-codes")
@role_required("admin")
def admin_outcome_codes():  # type: ignore[no-untyped-def]
    return _codes_page(OutcomeCodeForm(formdata=None))


def _codes_page(form: OutcomeCodeForm, status: int = 200):  # type: ignore[no-untyped-def]
    codes = get_session().scalars(select(OutcomeCode).order_by(OutcomeCode.digit)).all()
    return render_template("admin_outcome_codes.html", codes=codes, form=form), status


@bp.post("/admin/outcome-codes")
@role_required("admin")
def admin_save_outcome_code():  # type: ignore[no-untyped-def]
    """Add a code, or change the one with that digit. Codes are never deleted: old calls
    keep pointing at theirs; an inactive code is just no longer offered on the phone."""
    form = OutcomeCodeForm()
    if not form.validate_on_submit():
        return _codes_page(form, 400)
    session = get_session()
    code = session.scalar(select(OutcomeCode).where(OutcomeCode.digit == form.digit.data))
    if code is None:
        code = OutcomeCode(digit=form.digit.data or "")
        session.add(code)
    code.label = (form.label.data or "").strip()
    code.sets_stage = form.sets_stage.data or None
    code.marks_do_not_call = bool(form.marks_do_not_call.data)
    code.is_active = bool(form.is_active.data)
    session.commit()
    log.info("admin %s saved outcome code %s", current_user.id, code.digit)
    flash(f"Saved outcome {code.digit}: {code.label}.", "info")
    return redirect(url_for("web.admin_outcome_codes"), 303)


@bp.get("/admin/access")
@role_required("admin")
def admin_access_log():  # type: ignore[no-untyped-def]
    before = request.args.get("before", "")
    stmt = select(AccessRecord).options(selectinload(AccessRecord.user))
    if before.isdigit():
        stmt = stmt.where(AccessRecord.id < int(before))
    records = get_session().scalars(stmt.order_by(AccessRecord.id.desc()).limit(ACCESS_PAGE)).all()
    older = records[-1].id if len(records) == ACCESS_PAGE else None
    return render_template("admin_access.html", records=records, older=older)


@bp.get("/admin/settings")
@role_required("admin")
def admin_settings():  # type: ignore[no-untyped-def]
    s = current_app.config["IVR_SETTINGS"]
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
