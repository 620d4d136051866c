"""Parsing the console's posts. Services validate again and decide."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from klantstuur.businesses.models import StaffMember
from klantstuur.needs.models import NeedStatus, RemedyKind


class StaffLoginForm(AuthenticationForm):
    """Staff log in with their e-mail address as username."""

    username = forms.CharField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    def clean_username(self) -> str:
        return str(self.cleaned_data["username"]).strip().lower()


def _textarea(rows: int = 3, placeholder: Any = "") -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "placeholder": placeholder})


class ReplyForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "reply_%s")
        super().__init__(*args, **kwargs)

    body = forms.CharField(
        label=_("Reply to the customer"),
        max_length=10_000,
        widget=_textarea(3, _("The customer reads this.")),
    )


class NoteForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "note_%s")
        super().__init__(*args, **kwargs)

    body = forms.CharField(
        label=_("Internal note"),
        max_length=10_000,
        widget=_textarea(2, _("Only colleagues read this.")),
    )


class ColleagueField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        text = f"{obj.name} ({obj.get_role_display()})"
        if not obj.on_duty:
            text += " · " + str(_("off duty"))
        return text


class HandoffOfferForm(forms.Form):
    # The choices are the caller's colleagues (``needs.selectors.colleagues``), set below.
    to_staff = ColleagueField(label=_("Colleague"), queryset=None, empty_label=None)
    reason = forms.CharField(label=_("Why this colleague?"), max_length=2000, widget=_textarea(2))

    def __init__(self, *args: Any, colleagues: QuerySet[StaffMember], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["to_staff"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = colleagues


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Why not?"), max_length=2000, widget=forms.TextInput())


class RemedyForm(forms.Form):
    kind = forms.ChoiceField(label=_("Remedy"), choices=RemedyKind.choices)
    amount = forms.CharField(
        label=_("Amount in euros"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0,00"}),
    )
    note = forms.CharField(label=_("Note to the customer"), max_length=2000, required=False)

    def clean_amount(self) -> int:
        """ "12,50", "12.50", "€ 12" -> cents."""
        raw = str(self.cleaned_data["amount"]).replace("€", "").replace(" ", "")
        if raw.count(",") == 1 and "." not in raw:
            raw = raw.replace(",", ".")
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise forms.ValidationError(_("Enter an amount such as 12,50.")) from None
        if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
            raise forms.ValidationError(_("Enter an amount such as 12,50."))
        return int(value * 100)


class ResolutionForm(forms.Form):
    summary = forms.CharField(
        label=_("Proposed resolution"),
        max_length=2000,
        widget=_textarea(2, _("What was done; the customer confirms it.")),
    )


class NeedFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *NeedStatus.choices]
    )
    owner: forms.ModelChoiceField[StaffMember] = forms.ModelChoiceField(
        label=_("Owner"),
        required=False,
        queryset=None,  # the business's owners, set below
        empty_label=_("Anyone"),
    )

    def __init__(self, *args: Any, staff: QuerySet[StaffMember], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["owner"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = staff
