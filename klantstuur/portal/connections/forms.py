from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from klantstuur.integrations.payloads import customer_subscribable
from klantstuur.needs.models import EventKind


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name (which software uses it)"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    scope = forms.ChoiceField(
        label=_("What it may do"),
        widget=forms.RadioSelect,
        choices=[
            ("read", _("Read only: look at my needs, orders and messages")),
            ("write", _("Read and act for me: send messages, change deliveries")),
        ],
        initial="read",
    )


def _choices() -> list[tuple[str, Any]]:
    labels = dict(EventKind.choices)
    return [(k, labels.get(k, _("Test ping"))) for k in customer_subscribable()]


class EndpointForm(forms.Form):
    url = forms.URLField(
        label=_("URL that receives the webhooks"),
        max_length=500,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    events = forms.MultipleChoiceField(
        label=_("Event kinds"), widget=forms.CheckboxSelectMultiple, choices=_choices
    )
