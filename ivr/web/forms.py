"""Flask-WTF forms: every state-changing form carries a CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from models import ROLES
from models.candidate import STAGES


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


class ActionForm(FlaskForm):
    """A bare form: a button whose only field is the CSRF token."""


class NewUserForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    role = SelectField("Role", choices=[SelectChoice(r) for r in ROLES])
    phone = StringField("Phone (E.164)", validators=[Optional(), Length(max=32)])
    password = PasswordField("Password", validators=[DataRequired(), Length(min=10, max=200)])


class EditUserForm(FlaskForm):
    role = SelectField("Role", choices=[SelectChoice(r) for r in ROLES])
    phone = StringField("Phone (E.164)", validators=[Optional(), Length(max=32)])
    hunt_order = IntegerField("Hunt order", validators=[Optional(), NumberRange(min=1, max=99)])
    is_available = BooleanField("Takes calls")
    is_active = BooleanField("Active")


class OutcomeCodeForm(FlaskForm):
    digit = StringField("Digit", validators=[DataRequired(), Regexp(r"^[0-9]$")])
    label = StringField("Label", validators=[DataRequired(), Length(max=80)])
    sets_stage = SelectField(
        "Sets stage", choices=[SelectChoice("", "no change"), *(SelectChoice(s) for s in STAGES)]
    )
    marks_do_not_call = BooleanField("Marks do-not-call")
    is_active = BooleanField("Active", default=True)


class ImportCandidatesForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file to import.")])
    dry_run = BooleanField("Dry run: check every row and report, change nothing")
