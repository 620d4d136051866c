"""Demo story: De Pannenkoekenboom on a busy Saturday.

Sections with a host each (Sanne on the terrace, Daan inside), three stations
(pancakes, drinks, ice cream) and parties at every stage: just seated, drinks
served and mains held, pancakes on the griddle, a late line the host was
alerted about, plates on the pass after a prevented wrong-table delivery, a
table that asked for the bill, and a guest who ordered from her phone.
Everything goes through the services, so the journal tells the same story.
"""

from datetime import timedelta

from django.utils import timezone

from klantstuur.catalog.models import CatalogItem, Station
from klantstuur.floor import kitchen
from klantstuur.floor.closeout import payment_record
from klantstuur.floor.ordering import party_order_place
from klantstuur.floor.services import (
    party_call_host,
    party_leave,
    party_request_bill,
    party_seat,
    section_create,
    table_create,
)
from klantstuur.orders.models import OrderChannel, OrderLine
from klantstuur.orders.promises import sweep_late_lines
from klantstuur.orders.services import LineSpec

from .context import DemoContext

MENU = [
    # station, name, price, prep minutes, course
    ("drinken", "Cola", 350, 1, "drinks"),
    ("drinken", "Appelsap", 325, 1, "drinks"),
    ("drinken", "Koffie", 295, 2, "drinks"),
    ("drinken", "Warme chocolademelk", 375, 3, "drinks"),
    ("pannenkoeken", "Pannenkoek spek", 1150, 12, "main"),
    ("pannenkoeken", "Pannenkoek appel-kaneel", 1095, 12, "main"),
    ("pannenkoeken", "Pannenkoek kaas", 1050, 11, "main"),
    ("pannenkoeken", "Kinderpannenkoek met stroop", 695, 9, "main"),
    ("pannenkoeken", "Glutenvrije pannenkoek naturel", 1050, 14, "main"),
    ("ijs", "Kinderijsje", 450, 3, "dessert"),
    ("ijs", "Dame blanche", 725, 5, "dessert"),
]


# Modifiers a guest may choose, and the allergens in it (set up in the admin).
CHOICES = {
    "Koffie": ("zonder suiker, met havermelk", "lactose"),
    "Warme chocolademelk": ("met slagroom", "lactose"),
    "Pannenkoek spek": ("extra stroop, poedersuiker", "gluten, ei, lactose"),
    "Pannenkoek appel-kaneel": ("extra stroop, poedersuiker", "gluten, ei, lactose"),
    "Pannenkoek kaas": ("extra stroop", "gluten, ei, lactose"),
    "Kinderpannenkoek met stroop": ("in stukjes", "gluten, ei, lactose"),
    "Glutenvrije pannenkoek naturel": ("extra stroop", "ei, lactose"),
    "Kinderijsje": ("met spikkels", "lactose"),
    "Dame blanche": ("zonder slagroom", "lactose, noten"),
}


def load(ctx: DemoContext) -> None:
    """Add this story to the demo, through the services."""
    business = ctx.businesses["pannenkoekenboom"]
    staff = ctx.staff
    sanne = staff["sanne@pannenkoekenboom.example"]
    daan = staff["daan@pannenkoekenboom.example"]
    keuken = staff["keuken@pannenkoekenboom.example"]
    loper = staff["loper@pannenkoekenboom.example"]
    anna = ctx.customers[("pannenkoekenboom", "anna@example.com")]
    bram = ctx.customers[("pannenkoekenboom", "bram@example.com")]

    terras = section_create(business=business, name="Terras", host=sanne)
    binnen = section_create(business=business, name="Binnen", host=daan)
    tables = {}
    for n in range(10, 18):
        tables[str(n)] = table_create(
            section=terras,
            number=str(n),
            seats=4 if n % 3 else 6,
            x=(n - 10) % 4,
            y=(n - 10) // 4,
            seat_reference="kant van de straat",
        )
    for n in range(1, 7):
        tables[str(n)] = table_create(
            section=binnen, number=str(n), seats=4, x=n - 1, y=3, seat_reference="raamkant"
        )

    stations = {
        "pannenkoeken": Station.objects.create(
            business=business, code="pannenkoeken", name="Pannenkoeken", capacity=4, position=1
        ),
        "drinken": Station.objects.create(
            business=business, code="drinken", name="Drinken", capacity=2, position=2
        ),
        "ijs": Station.objects.create(
            business=business, code="ijs", name="IJs", capacity=1, position=3
        ),
    }
    stations["pannenkoeken"].members.add(keuken)
    stations["ijs"].members.add(keuken)
    stations["drinken"].members.add(sanne, daan)
    items = {}
    for code, name, price, prep, course in MENU:
        modifiers, allergens = CHOICES.get(name, ("", ""))
        items[name] = CatalogItem.objects.create(
            business=business,
            name=name,
            price_cents=price,
            station=stations[code],
            prep_minutes=prep,
            course=course,
            modifiers=modifiers,
            allergens=allergens,
        )

    def order(party, lines, *, by=sanne, hold=None, guest=False):
        return party_order_place(
            business=business,
            party=party,
            lines=[LineSpec(item_id=items[i].pk, seat=s, note=note) for i, s, note in lines],
            channel=OrderChannel.GUEST if guest else OrderChannel.STAFF,
            actor_staff=None if guest else by,
            hold_courses=hold,
        )

    def all_ready(o) -> None:
        for line in o.lines.all():
            if line.status == "received":
                crew = sanne if line.station_id == stations["drinken"].pk else keuken
                kitchen.line_ready(staff=crew, line_id=line.pk)

    def serve(o, table: str) -> None:
        for line in o.lines.filter(status="ready"):
            kitchen.line_deliver(staff=loper, line_id=line.pk, table=table, seat=line.seat)

    # Table 10: just seated.
    party_seat(business=business, table=tables["10"], seats=2, actor_staff=sanne)

    # Table 12: Anna's family; drinks served, the pancakes are on the griddle.
    t12 = party_seat(
        business=business, table=tables["12"], seats=4, customer=anna, actor_staff=sanne
    )
    drinks = order(t12, [("Cola", 1, ""), ("Appelsap", 2, ""), ("Koffie", 3, "")])
    all_ready(drinks)
    serve(drinks, "12")
    mains = order(
        t12,
        [
            ("Pannenkoek spek", 1, ""),
            ("Kinderpannenkoek met stroop", 2, "in stukjes snijden"),
            ("Pannenkoek appel-kaneel", 3, ""),
            # Ordered now, made later: the dessert waits until Sanne fires it.
            ("Dame blanche", 4, ""),
        ],
    )
    first = mains.lines.order_by("id").first()
    assert first is not None
    kitchen.line_start(staff=keuken, line_id=first.pk)

    # Table 14: plates on the pass; the runner nearly took them to table 15.
    t14 = party_seat(business=business, table=tables["14"], seats=3, actor_staff=sanne)
    plates = order(t14, [("Pannenkoek kaas", 1, ""), ("Pannenkoek spek", 2, "")])
    all_ready(plates)
    wrong = plates.lines.order_by("id").first()
    assert wrong is not None
    kitchen.line_deliver(staff=loper, line_id=wrong.pk, table="15", seat=1)

    # Table 15: drinks served, mains held until Sanne fires them.
    t15 = party_seat(business=business, table=tables["15"], seats=4, actor_staff=sanne)
    both = order(
        t15,
        [
            ("Warme chocolademelk", 1, ""),
            ("Cola", 2, ""),
            ("Pannenkoek appel-kaneel", 1, ""),
            ("Pannenkoek kaas", 2, "zonder korst"),
        ],
        hold=["main"],
    )
    all_ready(both)
    serve(both, "15")

    # Table 16: everything served, they called Sanne and asked for the bill.
    t16 = party_seat(business=business, table=tables["16"], seats=2, actor_staff=sanne)
    done = order(t16, [("Pannenkoek spek", 1, ""), ("Koffie", 2, "")])
    all_ready(done)
    serve(done, "16")
    party_call_host(party=t16, reason="Mogen we afrekenen?")
    party_request_bill(party=t16)
    # Seat 1 paid its own already (per seat, by card, with a tip); seat 2 still owes.
    payment_record(
        staff=sanne, party=t16, amount_cents=1150, method="card", seats=[1], tip_cents=100
    )

    # Table 17: paid and gone; their guest link shows the receipt and a thank-you.
    t17 = party_seat(business=business, table=tables["17"], seats=2, actor_staff=sanne)
    gone = order(t17, [("Appelsap", 1, ""), ("Pannenkoek kaas", 1, ""), ("Koffie", 2, "")])
    all_ready(gone)
    serve(gone, "17")
    payment_record(staff=sanne, party=t17, amount_cents=325 + 1050, method="card", seats=[1])
    payment_record(staff=sanne, party=t17, amount_cents=295, method="cash", seats=[2])
    party_leave(staff=sanne, party=t17)

    # Table 11: a big order that has been waiting; the host was alerted before it was late.
    t11 = party_seat(business=business, table=tables["11"], seats=4, actor_staff=sanne)
    late = order(
        t11,
        [
            ("Glutenvrije pannenkoek naturel", 1, "coeliakie: aparte pan"),
            ("Pannenkoek spek", 2, ""),
            ("Pannenkoek spek", 3, ""),
            ("Pannenkoek kaas", 4, ""),
        ],
    )
    # Demo history: this order came in 25 minutes ago (times moved back, nothing else).
    ago = timezone.now() - timedelta(minutes=25)
    lines = OrderLine.objects.filter(order=late)
    for line in lines:
        OrderLine.objects.filter(pk=line.pk).update(
            created_at=ago,
            fired_at=ago,
            promised_at=line.promised_at - timedelta(minutes=25),  # type: ignore[operator]
            first_promised_at=line.promised_at - timedelta(minutes=25),  # type: ignore[operator]
        )
    sweep_late_lines(timezone.now())

    # Inside, table 3: Bram and his mother-in-law; she ordered from her phone.
    t3 = party_seat(business=business, table=tables["3"], seats=2, customer=bram, actor_staff=daan)
    order(
        t3,
        [("Glutenvrije pannenkoek naturel", 2, "coeliakie"), ("Koffie", 1, "")],
        guest=True,
    )
