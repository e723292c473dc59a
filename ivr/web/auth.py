"""Sign in and out with a session cookie."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from ivr.db import get_session
from ivr.ratelimit import login_limits
from ivr.web import bp
from ivr.web.forms import ActionForm, LoginForm
from models import Role, User
from models.user import check_no_password

log = logging.getLogger(__name__)


def home_for(user: User) -> str:
    if user.role == Role.AUDITOR:
        return url_for("web.call_log")
    if user.role == Role.ADMIN:
        return url_for("web.admin_users")
    return url_for("web.calls_dashboard")


@bp.route("/login", methods=["GET", "POST"])
@login_limits[0]
@login_limits[1]
def login() -> ResponseReturnValue:
    form = LoginForm()
    if form.validate_on_submit():
        email = (form.email.data or "").strip().lower()
        password = form.password.data or ""
        user = get_session().scalar(select(User).where(User.email == email))
        # Every attempt checks one password hash, whether the email is known or not.
        matches = user.check_password(password) if user else check_no_password(password)
        if user is not None and user.is_active and matches:
            login_user(user)
            log.info("user %s signed in", user.id)
            target = request.args.get("next", "")
            # Only same-site paths: an open redirect after login is a phishing tool.
            if not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
                target = home_for(user)
            return redirect(target)
        log.info("failed sign-in attempt from %s", request.remote_addr)
        flash("That email and password do not match an active account.", "error")
    return render_template("login.html", form=form), (400 if form.errors else 200)


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    if ActionForm().validate_on_submit():
        # End the session on the server too: a copy of this cookie must not sign anyone in.
        session = get_session()
        session.get_one(User, current_user.id).end_sessions()
        session.commit()
        logout_user()
    return redirect(url_for("web.login"))


@bp.get("/")
def index() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("web.login"))
