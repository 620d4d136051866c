from django import forms
from django.utils.translation import gettext_lazy as _

from klantstuur.core.queries import MAX_ID
from klantstuur.delivery.models import DeliveryStatus
from klantstuur.orders.models import OrderStatus


class OrderFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Order number or customer"), required=False, max_length=200, strip=True
    )
    status = forms.ChoiceField(
        label=_("Order status"),
        required=False,
        choices=[("", _("Any status")), *OrderStatus.choices],
    )
    delivery = forms.ChoiceField(
        label=_("Delivery status"),
        required=False,
        choices=[
            ("", _("Any delivery")),
            ("problem", _("Waiting for the customer's choice")),
            *DeliveryStatus.choices,
        ],
    )
    before = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
