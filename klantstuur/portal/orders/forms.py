"""Forms of the customer's order pages; services do the deciding."""

from typing import Any, cast

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from klantstuur.delivery.instructions.models import Action, Condition
from klantstuur.delivery.models import PlaceKind, ReturnMethod, ReturnOutcome


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
    """Which items and how many (a number per returnable line), why (the business's
    reasons, and words of one's own), refund or exchange, and pick-up or drop-off."""

    reason_code = forms.ChoiceField(label=_("Why do you return it?"), required=False)
    reason = forms.CharField(
        label=_("Anything you want to tell us? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    outcome = forms.ChoiceField(
        label=_("What would you like?"),
        required=False,
        choices=ReturnOutcome.choices,
        widget=forms.RadioSelect,
        initial=ReturnOutcome.REFUND,
    )
    method = forms.ChoiceField(
        label=_("How"),
        choices=ReturnMethod.choices,
        widget=forms.RadioSelect,
        initial=ReturnMethod.PICKUP,
    )
    pickup_point = forms.ChoiceField(label=_("Pickup point"), required=False)

    def __init__(
        self,
        *args: Any,
        points: list[tuple[str, str]],
        lines: list[tuple[int, str, int]] | None = None,
        reasons: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["pickup_point"]).choices = [("", "—"), *points]
        self.reasons = reasons or []
        code = cast(forms.ChoiceField, self.fields["reason_code"])
        code.choices = [("", "—"), *self.reasons]
        if self.reasons:
            code.required = True
        else:
            del self.fields["reason_code"]
            self.fields["reason"].required = True
            self.fields["reason"].label = _("Why do you return it?")
        self.line_ids = []
        for line_id, name, left in lines or []:
            key = f"qty_{line_id}"
            self.line_ids.append(line_id)
            self.fields[key] = forms.IntegerField(
                label=_("%(name)s: how many back? (at most %(n)s)") % {"name": name, "n": left},
                min_value=0,
                max_value=left,
                required=False,
                initial=0 if len(lines or []) > 1 else left,
            )

    def line_fields(self) -> list[Any]:
        return [self[f"qty_{pk}"] for pk in self.line_ids]

    def chosen_lines(self) -> list[dict[str, int]] | None:
        """``[{line_id, quantity}]`` of the lines with a number; None (everything that is
        left) when no number was sent at all."""
        if not any(f"qty_{pk}" in self.data for pk in self.line_ids):
            return None
        return [
            {"line_id": pk, "quantity": self.cleaned_data.get(f"qty_{pk}") or 0}
            for pk in self.line_ids
            if self.cleaned_data.get(f"qty_{pk}")
        ]

    def field_map(self) -> dict[str, str]:
        """A service error's field (``lines.0.quantity``) to this form's field."""
        chosen = [pk for pk in self.line_ids if self.cleaned_data.get(f"qty_{pk}")]
        out = {f"lines.{n}.quantity": f"qty_{pk}" for n, pk in enumerate(chosen)}
        out |= {f"lines.{n}.line_id": f"qty_{pk}" for n, pk in enumerate(chosen)}
        first = f"qty_{self.line_ids[0]}" if self.line_ids else "reason"
        return out | {"lines": first}


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


class ErasureForm(forms.Form):
    """Erasure asks first: it cannot be undone once carried out."""

    confirm = forms.BooleanField(
        label=_("Yes, erase my data. I understand this cannot be undone once it is carried out."),
        error_messages={"required": _("Tick the box to confirm.")},
    )
