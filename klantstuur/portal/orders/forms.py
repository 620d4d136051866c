"""Forms of the customer's order pages; services do the deciding."""

from typing import Any, cast

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from klantstuur.delivery.instructions.models import Action, Condition
from klantstuur.delivery.models import PlaceKind, ReturnMethod


class ChangeForm(forms.Form):
    date = forms.ChoiceField(label=_("Date"))
    window = forms.ChoiceField(label=_("Time window"))
    place = forms.ChoiceField(label=_("Where"), choices=PlaceKind.choices, widget=forms.RadioSelect)
    house_number = forms.CharField(
        label=_("Neighbour's house number"), required=False, max_length=20
    )
    name = forms.CharField(label=_("Neighbour's name"), required=False, max_length=100)
    pickup_point = forms.ChoiceField(label=_("Pickup point"), required=False)
    street = forms.CharField(label=_("Street and number"), required=False, max_length=200)
    postcode = forms.CharField(label=_("Postcode"), required=False, max_length=10)
    city = forms.CharField(label=_("City"), required=False, max_length=100)

    def __init__(self, *args: Any, options: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        dates = [(d["date"].isoformat(), date_format(d["date"], "D j-n")) for d in options["dates"]]
        windows = sorted({w["window"] for d in options["dates"] for w in d["windows"]})
        cast(forms.ChoiceField, self.fields["date"]).choices = dates
        cast(forms.ChoiceField, self.fields["window"]).choices = [(w, w) for w in windows]
        cast(forms.ChoiceField, self.fields["pickup_point"]).choices = [("", "—")] + [
            (p["code"], f"{p['name']}, {p['address']}") for p in options["pickup_points"]
        ]

    def request(self) -> dict[str, Any]:
        c = self.cleaned_data
        place: dict[str, Any] = {"kind": c["place"]}
        if c["place"] == PlaceKind.NEIGHBOUR:
            place.update(house_number=c["house_number"], name=c["name"])
        elif c["place"] == PlaceKind.PICKUP_POINT:
            place["pickup_point"] = c["pickup_point"]
        elif c["place"] == PlaceKind.ADDRESS:
            place.update(street=c["street"], postcode=c["postcode"], city=c["city"])
        return {"date": c["date"], "window": c["window"], "place": place}


FIELD_MAP = {
    "place.house_number": "house_number",
    "place.name": "name",
    "place.pickup_point": "pickup_point",
    "place.street": "street",
    "place.postcode": "postcode",
    "place.city": "city",
    "place.kind": "place",
}


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you return it?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    method = forms.ChoiceField(
        label=_("How"),
        choices=ReturnMethod.choices,
        widget=forms.RadioSelect,
        initial=ReturnMethod.PICKUP,
    )
    pickup_point = forms.ChoiceField(label=_("Pickup point"), required=False)

    def __init__(self, *args: Any, points: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["pickup_point"]).choices = [("", "—"), *points]


class InstructionForm(forms.Form):
    condition = forms.ChoiceField(label=_("When"), choices=Condition.choices)
    hours = forms.IntegerField(
        label=_("Hours late (for “late”)"), required=False, min_value=1, max_value=336
    )
    action = forms.ChoiceField(label=_("Then"), choices=Action.choices)
    house_number = forms.CharField(
        label=_("Neighbour's house number"), required=False, max_length=20
    )
    name = forms.CharField(label=_("Neighbour's name"), required=False, max_length=100)
    pickup_point = forms.ChoiceField(label=_("Pickup point"), required=False)
    policy = forms.ChoiceField(
        label=_("Substitutes"),
        required=False,
        choices=[
            ("", "—"),
            ("none", _("No substitutes")),
            ("similar", _("A similar item is fine")),
        ],
    )
    channel = forms.ChoiceField(
        label=_("Contact"),
        required=False,
        choices=[
            ("", "—"),
            ("email", _("E-mail")),
            ("portal", _("Only in the portal")),
            ("none", _("Only when I must decide")),
        ],
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", "—"), ("nl", "Nederlands"), ("en", "English")],
    )

    def __init__(self, *args: Any, points: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["pickup_point"]).choices = [("", "—"), *points]

    def params(self) -> dict[str, Any]:
        c = self.cleaned_data
        keys = {
            Action.LEAVE_WITH_NEIGHBOUR: ("house_number", "name"),
            Action.DELIVER_TO_PICKUP_POINT: ("pickup_point",),
            Action.SUBSTITUTES: ("policy",),
            Action.CONTACT: ("channel",),
            Action.LANGUAGE: ("language",),
        }.get(c["action"], ())
        return {k: c[k] for k in keys if c.get(k)}


class PreferencesForm(forms.Form):
    notify_by_email = forms.BooleanField(
        label=_("Also tell me by e-mail (not only in the portal)"), required=False
    )
