"""Parsing the portal's posts. Services validate again and decide."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from klantstuur.businesses.selectors import businesses_by_name
from klantstuur.needs.models import NeedKind


class LinkRequestForm(forms.Form):
    business = forms.ModelChoiceField(
        label=_("Where are you a customer?"),
        queryset=businesses_by_name(),
        to_field_name="slug",
        empty_label=None,
    )
    email = forms.EmailField(
        label=_("Your e-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class NeedForm(forms.Form):
    kind = forms.ChoiceField(label=_("What is it about?"), choices=NeedKind.choices)
    summary = forms.CharField(label=_("In one sentence"), max_length=300)
    goal = forms.CharField(
        label=_("What do you want to achieve?"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": _("For example: eat together on Saturday.")}
        ),
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Write to your contact person"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("What is not solved yet?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), max_length=2000, required=False)


class ProfileForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(label=_("E-mail address"))
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=[("nl", "Nederlands"), ("en", "English")]
    )

    def changes(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in ("name", "email", "phone", "language")}


class RatingForm(forms.Form):
    """Every form that posts a one-tap rating parses it here: the buttons post text
    ("4"), the service takes a whole number 1–5 (issue #13: the guest page passed the
    text on, and every rating was refused)."""

    touchpoint = forms.CharField(max_length=40, required=False)
    rating = forms.TypedChoiceField(
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        error_messages={
            "required": _("Choose a rating from 1 to 5."),
            "invalid_choice": _("Choose a rating from 1 to 5."),
        },
    )
    need = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    order = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    comment = forms.CharField(max_length=2000, required=False)

    def first_error(self) -> str:
        for errors in self.errors.values():
            return str(errors[0])
        return ""
