"""Flask-WTF forms: every state-changing form carries a CSRF token."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup
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
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, html_params

from ivr import words
from ivr.routing import HUNT_ORDER_MAX, HUNT_ORDER_MIN
from ivr.system import MAX_PASSWORD, MIN_PASSWORD
from models import ROLES
from models.enums import STAGES
from models.user import PIN_MAX, PIN_MIN


class _FlagInput(CheckboxInput):
    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        hidden = {"type": "hidden", "name": field.name, "value": "no"}
        if "form" in kwargs:
            hidden["form"] = kwargs["form"]
        kwargs["value"] = "yes"
        return Markup(f"<input {html_params(**hidden)}>") + super().__call__(field, **kwargs)


class FlagField(BooleanField):
    """A checkbox that is always sent: a hidden "no" goes before the box, so an unticked box
    says no instead of saying nothing, and a form that did not show the flag leaves it alone
    (see `submitted`)."""

    widget = _FlagInput()
    false_values = (False, "false", "", "no", "n", "off", "0")

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:  # the box's "yes" comes after the hidden "no"
            self.data = valuelist[-1] not in self.false_values


def submitted(form: FlaskForm, *names: str) -> dict[str, Any]:
    """The fields among `names` the request actually sent, with their data: what a save may
    change. A field the form did not show is not touched."""
    return {name: form[name].data for name in names if form[name].name in request.form}


class TimezoneField(StringField):
    """An IANA zone name, or blank for the team's business timezone (checked by the model)."""

    data: str | None

    def __init__(self, label: str = "Timezone", **kwargs: Any) -> None:
        kwargs.setdefault("validators", [Optional(), Length(max=64)])
        kwargs.setdefault(
            "render_kw",
            {"list": "timezones", "autocomplete": "off", "placeholder": "e.g. Europe/London"},
        )
        super().__init__(label, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        self.data = (self.data or "").strip() or None


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


class ActionForm(FlaskForm):
    """A bare form: a button whose only field is the CSRF token."""


def _hunt_order() -> IntegerField:
    return IntegerField(
        "Hunt order",
        validators=[Optional(), NumberRange(min=HUNT_ORDER_MIN, max=HUNT_ORDER_MAX)],
        render_kw={"inputmode": "numeric"},
    )


def _password(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD,
                max=MAX_PASSWORD,
                message=f"a password is at least {MIN_PASSWORD} characters "
                f"(and at most {MAX_PASSWORD})",
            ),
        ],
        render_kw={"autocomplete": "new-password", "minlength": MIN_PASSWORD},
    )


class NewUserForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    role = SelectField("Role", choices=[SelectChoice(r) for r in ROLES])
    phone = StringField("Phone (E.164)", validators=[Optional(), Length(max=32)])
    hunt_order = _hunt_order()
    is_available = FlagField("Takes calls", default=True)
    timezone = TimezoneField()
    password = _password("Password")


class EditUserForm(FlaskForm):
    """Every field optional here: what the request did not send stays as it is."""

    name = StringField("Name", validators=[Length(max=120)])
    email = EmailField("Email", validators=[Length(max=254)])
    role = SelectField("Role", choices=[SelectChoice(r) for r in ROLES], default=ROLES[0])
    phone = StringField("Phone (E.164)", validators=[Optional(), Length(max=32)])
    hunt_order = _hunt_order()
    is_available = FlagField("Takes calls")
    is_active = FlagField("Active")
    timezone = TimezoneField()


class ResetPasswordForm(FlaskForm):
    password = _password("New password")


class MySettingsForm(FlaskForm):
    timezone = TimezoneField()


_PIN_RULE = f"a PIN is {PIN_MIN} to {PIN_MAX} digits"


class LinePinForm(FlaskForm):
    """The recruiter line's PIN, typed twice; never shown back (the field is never refilled)."""

    pin = PasswordField(
        "New PIN",
        validators=[DataRequired(message=_PIN_RULE), Regexp(rf"^[0-9]{{{PIN_MIN},{PIN_MAX}}}$",
                                                            message=_PIN_RULE)],
        render_kw={"autocomplete": "new-password", "inputmode": "numeric",
                   "pattern": f"[0-9]{{{PIN_MIN},{PIN_MAX}}}", "maxlength": PIN_MAX},
    )  # fmt: skip
    confirm = PasswordField(
        "Type it again",
        validators=[DataRequired(message="type the PIN again"),
                    EqualTo("pin", message="the two PINs differ")],
        render_kw={"autocomplete": "new-password", "inputmode": "numeric", "maxlength": PIN_MAX},
    )  # fmt: skip


class OutcomeCodeForm(FlaskForm):
    """Add a code or change one; a field the request did not send keeps the code's value."""

    digit = StringField("Digit", validators=[DataRequired(), Regexp(r"^[0-9]$")])
    label = StringField("Label", validators=[Length(max=80)])
    sets_stage = SelectField(
        "Sets stage",
        choices=[SelectChoice("", "no change"), *(SelectChoice(s) for s in STAGES)],
        default="",
    )
    marks_do_not_call = FlagField("Marks do-not-call")
    is_active = FlagField("Active", default=True)


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


class ImportCandidatesForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file to import.")])
    dry_run = BooleanField("Dry run: check every row and report, change nothing")
