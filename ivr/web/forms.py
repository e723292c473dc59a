"""Flask-WTF forms: every state-changing form carries a CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ivr import words
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


# Candidates ------------------------------------------------------------------------------
# These forms carry what people type; ivr.candidates.records decides what is acceptable
# (so the page, the API and the import refuse the same things for the same reasons).


class CandidateForm(FlaskForm):
    name = StringField("Name")
    phone = StringField("Phone", description="Any format: (415) 555-0133, +44 20 7946 0958")
    email = StringField("Email")
    owner_id = SelectField("Owner", validate_choice=False)
    stage = SelectField(
        "Stage",
        choices=[SelectChoice(s, words.stage(s)) for s in STAGES],
        validate_choice=False,
    )
    timezone = StringField(
        "Timezone", description="Blank: the zone of the phone number (or the team's)."
    )
    do_not_call = BooleanField("Do not call")
    do_not_call_reason = StringField("Why not call")
    reason = StringField("Why (for the history)")


class ReassignForm(FlaskForm):
    candidate_ids = SelectMultipleField("Candidates", coerce=int, validate_choice=False)
    owner_id = SelectField("Reassign to", validate_choice=False)
    reason = StringField("Why")
    back = HiddenField()


class NoteForm(FlaskForm):
    text = TextAreaField("Add a note")
