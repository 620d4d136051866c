"""Parsing the community pages' posts. Services validate again and decide."""

from django import forms
from django.utils.translation import gettext_lazy as _


class ShareForm(forms.Form):
    display_name = forms.CharField(
        label=_("Show me as"),
        required=False,
        max_length=40,
        help_text=_("Your first name unless you choose another name. Never your details."),
    )


class AnswerForm(forms.Form):
    body = forms.CharField(
        label=_("Your answer"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReportForm(forms.Form):
    reason = forms.CharField(label=_("What is wrong with it?"), required=False, max_length=300)
