from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from klantstuur.integrations.payloads import subscribable
from klantstuur.needs.models import EventKind


def event_choices() -> list[tuple[str, Any]]:
    labels = dict(EventKind.choices)
    return [(kind, f"{labels.get(kind, _('Test ping'))} ({kind})") for kind in subscribable()]


class EndpointForm(forms.Form):
    url = forms.URLField(
        label=_("URL that receives the webhooks"),
        max_length=500,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    events = forms.MultipleChoiceField(
        label=_("Event kinds"), widget=forms.CheckboxSelectMultiple, choices=event_choices
    )
