"""Parsing the insight pages' input. Services validate again and decide."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from klantstuur.businesses.models import Role
from klantstuur.feedback.models import ImprovementStatus, RewardKind
from klantstuur.metrics.selectors import TEAMS


def _choice(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


class PeriodForm(forms.Form):
    """The dashboard's filters; the service parses and checks the period again."""

    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    owner = forms.TypedChoiceField(label=_("Owner"), required=False, coerce=int, empty_value=None)
    team = forms.ChoiceField(label=_("Team"), required=False)

    def __init__(self, *args: Any, staff: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "owner").choices = [("", _("Everyone"))] + [(s.pk, s.name) for s in staff]
        _choice(self, "team").choices = [("", _("All teams"))] + [(t, Role(t).label) for t in TEAMS]


class ListenForm(forms.Form):
    note = forms.CharField(
        label=_("What did you hear?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RootCauseForm(forms.Form):
    name = forms.CharField(label=_("New root cause"), max_length=120)


class ImprovementForm(forms.Form):
    root_cause = forms.TypedChoiceField(label=_("Root cause"), coerce=int)
    title = forms.CharField(label=_("What will change"), max_length=200)
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int)

    def __init__(self, *args: Any, causes: Any = (), staff: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "root_cause").choices = [(c.pk, c.name) for c in causes]
        _choice(self, "owner").choices = [(s.pk, s.name) for s in staff]


class ImprovementMoveForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ImprovementStatus.choices)


class RewardForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of reward"), choices=RewardKind.choices)
    description = forms.CharField(
        label=_("What you give"),
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": _("A free pancake on the next visit")}),
    )
    value = forms.DecimalField(
        label=_("Value in euros (material rewards)"),
        required=False,
        min_value=0,
        max_value=1_000_000,
        decimal_places=2,
    )
    need = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def value_cents(self) -> int:
        value = self.cleaned_data.get("value")
        return round(value * 100) if value is not None else 0
