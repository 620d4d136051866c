"""Demo story: Fietsenwinkel Spaak delivers as the customer steers (issue #4).

Orders in every state, one failed attempt being handled by Noor, and Bram
with standing instructions. Made through the services, so the journal tells
the story the pages and the API show.
"""

import base64
from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from klantstuur.catalog.models import CatalogItem
from klantstuur.core.zones import zone
from klantstuur.delivery import proactive
from klantstuur.delivery.instructions.services import instruction_create
from klantstuur.delivery.models import (
    DeliverySettings,
    DeliveryWindow,
    PickupPoint,
    ReturnReason,
)
from klantstuur.delivery.services import ingest
from klantstuur.orders.services import LineSpec, order_place

from .context import DemoContext
from .history import at

# Published on purpose so the webhook can be tried from the README (demo only).
DEMO_WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"fietsenwinkel-demo-webhook-key!!").decode()


def load(ctx: DemoContext) -> None:
    shop = ctx.businesses.get("fietsenwinkel")
    if shop is None:
        return
    DeliverySettings.objects.update_or_create(
        business=shop,
        defaults={
            "horizon_days": 14,
            "webhook_secret": DEMO_WEBHOOK_SECRET,
            "carrier_name": "PostNL",
            "carrier_allows_redirect": True,
        },
    )
    for n, (code, nl, en) in enumerate(
        (
            ("damaged", "Beschadigd aangekomen", "Arrived damaged"),
            ("wrong_size", "Verkeerde maat", "Wrong size"),
            ("not_as_described", "Niet zoals beschreven", "Not as described"),
            ("changed_mind", "Toch niet nodig", "Changed my mind"),
        )
    ):
        ReturnReason.objects.create(business=shop, code=code, label_nl=nl, label_en=en, position=n)
    for starts, ends, cap in ((8, 12, 40), (12, 17, 40), (18, 21, 60)):
        DeliveryWindow.objects.create(
            business=shop, starts=time(starts), ends=time(ends), capacity=cap, cutoff_minutes=360
        )
    PickupPoint.objects.create(
        business=shop,
        code="tabak-centrum",
        name="Tabakszaak Centrum",
        address="Markt 12, Utrecht",
        postcode="3511 AB",
        opening_hours="ma-za 8-20",
    )
    PickupPoint.objects.create(
        business=shop,
        code="supermarkt-oost",
        name="Supermarkt Oost",
        address="Biltstraat 200, Utrecht",
        postcode="3572 BK",
        opening_hours="dag. 8-22",
    )
    items = {
        name: CatalogItem.objects.create(
            business=shop, name=name, price_cents=price, sku=sku, stock=25
        )
        for name, price, sku in (
            ("Remblokken Shimano B01S", 1495, "SH-B01S"),
            ("Binnenband 26 inch", 899, "BB-26"),
            ("Fietslamp LED voor", 2495, "LMP-V"),
            ("Kettingolie 100 ml", 795, "OLIE-100"),
            ("Zadel Comfort", 3995, "ZDL-C"),
            ("Fietsbel", 650, "BEL-1"),
        )
    }
    anna = ctx.customers[("fietsenwinkel", "anna@example.com")]
    bram = ctx.customers[("fietsenwinkel", "bram@example.com")]
    carrier = ctx.staff["vervoerder@fietsenwinkel.example"]
    noor = ctx.staff["noor@fietsenwinkel.example"]
    now = timezone.now()

    def order(
        customer: Any,
        item: str,
        days: int,
        window: str = "18:00-21:00",
        place: Any = None,
        extra: str = "",
    ) -> Any:
        """An order placed now (``timezone.now``, travelled by ``at``) for ``days`` later."""
        today = timezone.localdate()
        lines = [LineSpec(item_id=items[item].pk, quantity=1)]
        if extra:
            lines.append(LineSpec(item_id=items[extra].pk, quantity=1))
        return order_place(
            business=shop,
            lines=lines,
            channel="customer",
            customer=customer,
            actor_customer=customer,
            delivery={
                "date": (today + timedelta(days=days)).isoformat(),
                "window": window,
                "place": place or {"kind": "home"},
            },
        )

    def scans(o: Any, *codes: str) -> None:
        for code in codes:
            if code in ("picked", "packed", "handed_to_carrier"):
                ingest.shop_scan_record(staff=noor, order_id=o.pk, code=code)
            else:
                ingest.carrier_event_record(
                    staff=carrier,
                    order_id=o.pk,
                    status=code,
                    location="Hub Utrecht",
                    # The carrier names itself and its number with its first event.
                    carrier="PostNL" if code == "info_received" or code == "in_transit" else "",
                    tracking_number=f"3SKLNT{o.pk:07d}"
                    if code in ("info_received", "in_transit")
                    else "",
                )

    # Bram's standing instructions.
    instruction_create(
        customer=bram,
        condition="not_at_home",
        action="leave_with_neighbour",
        params={"house_number": "14", "name": "familie Jansen"},
    )
    instruction_create(customer=bram, condition="late", hours=24, action="cancel_and_refund")
    instruction_create(
        customer=bram, condition="always", action="contact", params={"channel": "email"}
    )

    # Scheduled, changeable: Anna's lamp, tomorrow evening.
    order(anna, "Fietslamp LED voor", 1)
    # Picked and packed, in transit: Bram's oil, day after tomorrow, at a pickup point.
    o = order(
        bram,
        "Kettingolie 100 ml",
        2,
        "12:00-17:00",
        {"kind": "pickup_point", "pickup_point": "tabak-centrum"},
    )
    scans(o, "picked", "packed", "handed_to_carrier", "info_received", "in_transit")
    # Out for delivery today (booked yesterday for this evening): Bram's saddle, with the
    # neighbour. Changes are closed now; the page says so and what is still possible.
    with at(now - timedelta(days=1)):
        o = order(
            bram,
            "Zadel Comfort",
            1,
            "18:00-21:00",
            {"kind": "neighbour", "house_number": "14", "name": "familie Jansen"},
        )
    scans(o, "picked", "packed", "handed_to_carrier", "in_transit", "out_for_delivery")
    # Delivered two days ago, as promised: Anna's inner tube and chain oil (a return of
    # one of the two can be started from its page).
    placed = now - timedelta(days=4)
    with at(placed):
        o = order(anna, "Binnenband 26 inch", 2, extra="Kettingolie 100 ml")
    evening = _local(shop, (placed + timedelta(days=2)), 19, 10)
    with at(evening - timedelta(hours=9)):
        scans(o, "picked", "packed", "handed_to_carrier", "in_transit")
    with at(evening - timedelta(hours=1)):
        scans(o, "out_for_delivery")
    with at(evening):
        scans(o, "delivered")
    # A failed attempt yesterday evening: Anna's brake pads; Noor owns it, Anna has the
    # choices (another date, a pickup point, a neighbour).
    placed = now - timedelta(days=3)
    with at(placed):
        o = order(anna, "Remblokken Shimano B01S", 2)
    evening = _local(shop, placed + timedelta(days=2), 19, 40)
    with at(evening - timedelta(hours=9)):
        scans(o, "picked", "packed", "handed_to_carrier", "in_transit")
    with at(evening - timedelta(hours=1)):
        scans(o, "out_for_delivery")
    with at(evening):
        ingest.carrier_event_record(
            staff=carrier,
            order_id=o.pk,
            status="attempt_failed",
            reason="not_at_home",
            note="Niemand thuis, buren niet geprobeerd",
        )
        proactive.problem_raise(
            order_id=o.pk,
            reason="attempt_failed",
            detail="not_at_home",
            note="Niemand thuis, buren niet geprobeerd",
            trigger_key="demo",
        )


def _local(business: Any, moment: datetime, hh: int, mm: int) -> datetime:
    """``moment``'s day in the business's time zone, at hh:mm there."""
    tz = zone(business.time_zone)
    return datetime.combine(timezone.localtime(moment, tz).date(), time(hh, mm), tzinfo=tz)
