"""One normalised vocabulary of checkpoints, with Dutch and English labels."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    # restaurant
    "order_received": _("Order received"),
    "course_fired": _("Course sent to the kitchen"),
    "line_in_progress": _("Being made"),
    "line_ready": _("Ready"),
    "line_recalled": _("Back on the board"),
    "line_on_its_way": _("On its way to your table"),
    "line_served": _("Served"),
    "wrong_delivery_prevented": _("Wrong table prevented"),
    "bill_requested": _("Bill requested"),
    # shop and carrier
    "picked": _("Picked in the warehouse"),
    "packed": _("Packed"),
    "handed_to_carrier": _("Handed to the carrier"),
    "info_received": _("Carrier has the details"),
    "in_transit": _("On its way"),
    "out_for_delivery": _("Out for delivery"),
    "attempt_failed": _("Delivery attempt failed"),
    "delivered": _("Delivered"),
    "available_for_pickup": _("Ready at the pickup point"),
    "exception": _("Problem in delivery"),
    "delivery_changed": _("Delivery changed"),
    "cancelled": _("Cancelled"),
}

CARRIER_CODES = (
    "info_received",
    "in_transit",
    "out_for_delivery",
    "attempt_failed",
    "delivered",
    "available_for_pickup",
    "exception",
)
SHOP_SCAN_CODES = ("picked", "packed", "handed_to_carrier")


def label(code: str) -> str:
    return str(LABELS.get(code, code))
