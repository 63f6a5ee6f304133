"""Staff forms (Flask-WTF: CSRF on every one)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

COVER_LINES_HELP = (
    "Une ligne par titre ; rubrique facultative avant « | », "
    "ex. : ACTUALITÉ | Le Maroc passe à l'Euro 6"
)


class IssueFieldsMixin:
    number = IntegerField(
        "Numéro",
        validators=[InputRequired("Indiquez le numéro."), NumberRange(min=1, max=999_999)],
    )
    title = StringField("Titre (facultatif)", validators=[Optional(), Length(max=200)])
    period_label = StringField(
        "Période",
        validators=[DataRequired("Indiquez la période couverte."), Length(max=120)],
        description="Ex. : Du 11 au 17 février 2022",
    )
    release_date = DateField(
        "Date de parution", validators=[InputRequired("Indiquez la date de parution.")]
    )
    cover_lines = TextAreaField("À la une", validators=[Optional(), Length(max=3000)])


class UploadForm(IssueFieldsMixin, FlaskForm):
    publication = SelectField("Publication", validators=[DataRequired()])


class MetadataForm(IssueFieldsMixin, FlaskForm):
    pass


class PreviewForm(FlaskForm):
    preview_pages = IntegerField(
        "Pages en accès libre",
        validators=[InputRequired("Indiquez un nombre de pages."), NumberRange(min=0)],
    )


class ScheduleForm(FlaskForm):
    publish_at = DateTimeLocalField(
        "Date et heure de publication (heure de Casablanca)",
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired("Indiquez la date et l'heure.")],
    )


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class GrantForm(FlaskForm):
    plan = SelectField("Formule", validators=[DataRequired()])
    starts_on = DateField("Début", validators=[InputRequired("Indiquez la date de début.")])
    ends_on = DateField("Fin", validators=[InputRequired("Indiquez la date de fin.")])
    note = StringField("Note (facultatif)", validators=[Optional(), Length(max=200)])


class ExtendForm(FlaskForm):
    until = DateField("Nouvelle date de fin", validators=[InputRequired("Indiquez la date.")])
