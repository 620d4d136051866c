"""Demo story: five weeks of measured history for both businesses (issue #5).

Everything goes through the services (need_open, messages, handoffs, proposals,
confirmations, ratings, surveys, rewards, listening marks), so the journal tells
the story the dashboard shows. To put it in the past, ``django.utils.timezone.now``
is patched to each step's moment while that step runs — a demo-only device.
Two shortcuts, both marked below: a need's own response promise ("an answer
within two hours") and the shop orders of the nine-good-one-bad journey are
written directly, because no service makes them without a catalog.

The demo load records events with reactions suppressed, so the projections are
rebuilt from the journal at the end (``metrics.projection.rebuild``).
"""

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from typing import Any
from unittest import mock

from django.utils import timezone, translation
from django.utils.formats import date_format

from klantstuur.businesses.models import Business, StaffMember
from klantstuur.core.errors import DomainError
from klantstuur.core.zones import zone
from klantstuur.customers.models import Customer
from klantstuur.customers.services import customer_create
from klantstuur.feedback import services as feedback
from klantstuur.feedback.models import ListeningSample
from klantstuur.metrics import listening, projection
from klantstuur.metrics.models import NeedFacts
from klantstuur.needs import services as needs
from klantstuur.needs.models import Need, NeedStatus, RootCause

from .context import DemoContext

DAYS = 35
PER_DAY = 4

GUESTS = [
    "Sophie Bakker", "Lucas Visser", "Emma Smit", "Daan Meijer", "Julia de Graaf",
    "Sem Mulder", "Tess Bos", "Finn Vos", "Lotte Peters", "Jesse Hendriks",
    "Mila Dekker", "Noah van Dijk", "Sara Brouwer", "Levi de Wit", "Nina Dijkstra",
    "Thijs Smeets",
]  # fmt: skip

STORIES: dict[str, dict[str, Any]] = {
    "pannenkoekenboom": {
        "staff": ["sanne@pannenkoekenboom.example", "daan@pannenkoekenboom.example"],
        "manager": "manager@pannenkoekenboom.example",
        "causes": [
            "Koud gerecht",
            "Verkeerde tafel",
            "Lang wachten op het terras",
            "Reservering kwijt",
        ],
        # the cause fixed two weeks ago: fewer complaints about it since
        "fixed": (
            "Verkeerde tafel",
            "Stoelnummers op de handhelds",
            "daan@pannenkoekenboom.example",
        ),
        "questions": [
            "Kan ik een tafel op het terras reserveren?",
            "Hebben jullie glutenvrij?",
            "Mag de hond mee?",
            "Kunnen we met 12 personen komen?",
        ],
        "complaints": [
            "Pannenkoek was koud",
            "Bestelling kwam bij de verkeerde tafel",
            "Drie kwartier gewacht op het terras",
            "Onze reservering was er niet",
        ],
    },
    "fietsenwinkel": {
        "staff": [
            "noor@fietsenwinkel.example",
            "milan@fietsenwinkel.example",
            "eva@fietsenwinkel.example",
        ],
        "manager": "manager@fietsenwinkel.example",
        "causes": [
            "Vervoerder kwijt",
            "Verkeerde maat geleverd",
            "Te laat verzonden",
            "Onduidelijke track & trace",
        ],
        "fixed": (
            "Verkeerde maat geleverd",
            "Maattabel bij elke band",
            "eva@fietsenwinkel.example",
        ),
        "questions": [
            "Past deze ketting op mijn Gazelle?",
            "Wanneer is de lamp weer op voorraad?",
            "Kan ik mijn bestelling ophalen?",
            "Welke binnenband heb ik nodig?",
        ],
        "complaints": [
            "Pakket niet ontvangen",
            "Verkeerde maat binnenband",
            "Bestelling een week te laat",
            "Track & trace zegt al dagen hetzelfde",
        ],
    },
}


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def _try(moment: datetime, fn: Callable[..., Any], **kwargs: Any) -> Any:
    """One step in the past; a refusal (a guard, a closed need) just skips the step."""
    with at(moment):
        try:
            return fn(**kwargs)
        except DomainError:
            return None


def load(ctx: DemoContext) -> None:
    """Add this story to the demo, through the services."""
    now = timezone.now()
    rng = random.Random(5)
    for slug, story in STORIES.items():
        business = ctx.businesses.get(slug)
        if business is None:
            continue
        _business_history(ctx, business, story, rng, now)
    _nine_good_one_bad(ctx, now)
    projection.rebuild(business_ids=[b.pk for b in ctx.businesses.values()], now=now)
    for slug, story in STORIES.items():
        if slug in ctx.businesses:
            _listening(ctx, ctx.businesses[slug], story, rng, now)


def _business_history(
    ctx: DemoContext, business: Business, story: dict[str, Any], rng: random.Random, now: datetime
) -> None:
    tz = zone(business.time_zone)
    manager = ctx.staff[story["manager"]]
    with at(now - timedelta(days=DAYS + 1)):
        causes = {
            name: feedback.root_cause_create(staff=manager, name=name) for name in story["causes"]
        }
        guests = [
            customer_create(
                business=business,
                name=name,
                email=f"{name.split()[0].lower()}.{business.slug}@example.com",
                language="nl",
            )
            for name in GUESTS
        ]
    customers = guests + [c for (s, _e), c in ctx.customers.items() if s == business.slug]
    fixed_cause, fixed_title, fixed_owner = story["fixed"]
    fixed_at = now - timedelta(days=14)
    item = _try(
        now - timedelta(days=DAYS),
        feedback.improvement_create,
        staff=manager,
        root_cause_id=causes[fixed_cause].pk,
        title=fixed_title,
        owner_id=ctx.staff[fixed_owner].pk,
    )
    colleagues = [ctx.staff[e] for e in story["staff"]]
    for day in range(DAYS, 0, -1):
        base = datetime.combine((now - timedelta(days=day)).astimezone(tz).date(), time(0), tz)
        for _ in range(PER_DAY + rng.randint(-1, 2)):
            night = rng.random() < 0.12
            hour = rng.choice([1, 2, 3, 4, 5]) if night else rng.randint(8, 22)
            start = base + timedelta(hours=hour, minutes=rng.randint(0, 59))
            cause_names = list(causes)
            if start >= fixed_at:
                cause_names = [c for c in cause_names if c != fixed_cause] + [fixed_cause] * 0
            elif rng.random() < 0.5:
                cause_names = [fixed_cause]
            _journey(
                customer=rng.choice(customers),
                story=story,
                causes=[causes[c] for c in cause_names],
                colleagues=colleagues,
                rng=rng,
                start=start,
                night=night,
                recent=day <= 2,
            )
        if item is not None and day == 14:
            _try(
                fixed_at, feedback.improvement_update, staff=manager, item_id=item.pk, status="done"
            )
    # A couple of rewards on the timeline and in the loyalty view.
    anna = ctx.customers.get((business.slug, "anna@example.com"))
    if anna is not None:
        owner = Need.objects.filter(customer=anna).order_by("-created_at").first()
        giver = owner.owner if owner else colleagues[0]
        if business.slug == "pannenkoekenboom":
            gifts = [
                ("material", "Gratis pannenkoek bij het volgende bezoek", 850),
                ("emotional", "Handgeschreven kaartje voor de verjaardag van haar dochter", 0),
            ]
        else:
            gifts = [
                ("information", "Als eerste bericht wanneer de nieuwe remblokken binnen zijn", 0),
                ("material", "Tegoedbon voor een fietslamp", 1995),
            ]
        for n, (kind, text, cents) in enumerate(gifts):
            _try(
                now - timedelta(days=3 - n),
                feedback.reward_give,
                staff=giver if giver.role != "kitchen" else manager,
                customer_id=anna.pk,
                kind=kind,
                description=text,
                value_cents=cents,
            )


def _journey(
    *,
    customer: Customer,
    story: dict[str, Any],
    causes: list[RootCause],
    colleagues: list[StaffMember],
    rng: random.Random,
    start: datetime,
    night: bool,
    recent: bool,
) -> None:
    complaint = rng.random() < 0.35
    summary = rng.choice(story["complaints"] if complaint else story["questions"])
    need = _try(
        start,
        needs.need_open,
        customer=customer,
        kind="complaint" if complaint else "question",
        summary=summary,
    )
    if need is None:
        return
    t = start
    if rng.random() < 0.5:
        # Demo shortcut: the business's own response promise on the need.
        Need.objects.filter(pk=need.pk).update(
            promise_due_at=start + timedelta(hours=2), promise_text="Antwoord binnen 2 uur"
        )
    if rng.random() < 0.25:
        t += timedelta(minutes=rng.randint(10, 50))
        _try(
            t, needs.message_post_by_customer, customer=customer, need=need, body="Is er al nieuws?"
        )
    wait = timedelta(hours=rng.uniform(3, 7)) if night else timedelta(minutes=rng.randint(4, 90))
    t = max(t, start + wait)
    owner = Need.objects.get(pk=need.pk).owner
    _try(
        t,
        needs.message_post_by_staff,
        staff=owner,
        need=need,
        body="Dank voor je bericht, ik zoek het uit.",
    )
    if rng.random() < 0.2:
        t += timedelta(hours=rng.randint(5, 30))
        _try(
            t,
            needs.message_post_by_customer,
            customer=customer,
            need=need,
            body="Nog een vraag hierover.",
        )
        t += timedelta(minutes=rng.randint(10, 120))
        _try(t, needs.message_post_by_staff, staff=owner, need=need, body="Helder, ik regel het.")
    if rng.random() < 0.15:
        others = [c for c in colleagues if c.pk != owner.pk]
        if others:
            to = rng.choice(others)
            t += timedelta(minutes=20)
            offer = _try(
                t,
                needs.handoff_offer,
                staff=owner,
                need=need,
                to_staff=to,
                reason="Jij weet hier meer van.",
            )
            if offer is not None:
                t += timedelta(minutes=rng.randint(5, 60))
                if _try(t, needs.handoff_accept, staff=to, handoff=offer) is not None:
                    owner = to
    if recent and rng.random() < 0.5:
        return  # still open: the newest needs are in progress
    t += timedelta(minutes=rng.randint(10, 240))
    cause = rng.choice(causes).pk if complaint and causes else None
    if (
        _try(
            t,
            needs.resolution_propose,
            staff=owner,
            need=need,
            summary="Opgelost: we hebben het voor je geregeld.",
            root_cause_id=cause,
        )
        is None
    ):
        return
    if rng.random() < 0.6:
        score = rng.choices([5, 4, 3, 2, 1], weights=[45, 30, 12, 8, 5])[0]
        t += timedelta(minutes=rng.randint(2, 60))
        _try(
            t,
            feedback.rating_give,
            customer=customer,
            need_id=need.pk,
            touchpoint="resolution_proposed",
            rating=score,
        )
        if score <= feedback.LOW_RATING:
            # The low score reopened the need with its owner; they try again.
            t += timedelta(hours=rng.randint(1, 6))
            _try(
                t,
                needs.resolution_propose,
                staff=owner,
                need=need,
                summary="Nieuwe oplossing: we maken het goed.",
                root_cause_id=cause,
            )
    if rng.random() < 0.88:
        t += timedelta(hours=rng.uniform(0.2, 20))
        _try(t, needs.resolution_confirm, customer=customer, need=need)
        if rng.random() < 0.07:
            t += timedelta(hours=rng.randint(2, 48))
            _try(t, needs.need_reopen, customer=customer, need=need, reason="Toch niet opgelost.")
            t += timedelta(hours=rng.randint(1, 8))
            _try(
                t,
                needs.resolution_propose,
                staff=owner,
                need=need,
                summary="Nu echt opgelost.",
                root_cause_id=cause,
            )
            t += timedelta(hours=2)
            _try(t, needs.resolution_confirm, customer=customer, need=need)
    if rng.random() < 0.45:
        survey = rng.choice(["csat", "ces", "nps"])
        low, high = {"csat": (1, 5), "ces": (1, 7), "nps": (0, 10)}[survey]
        score = max(low, min(high, high - int(abs(rng.gauss(0, (high - low) / 4)))))
        t += timedelta(hours=1)
        _try(
            t,
            feedback.survey_answer,
            customer=customer,
            survey=survey,
            score=score,
            need_id=need.pk,
        )


def _nine_good_one_bad(ctx: DemoContext, now: datetime) -> None:
    """Anna's five parcels from the bicycle shop: eight good touchpoints, a confirmed
    solution — and one parcel with the wrong size. Average 4.2; index 0.2."""
    from klantstuur.catalog.models import CatalogItem
    from klantstuur.orders.checkpoints import checkpoint_record
    from klantstuur.orders.models import Order, OrderChannel, OrderLine, OrderStatus

    business = ctx.businesses.get("fietsenwinkel")
    anna = ctx.customers.get(("fietsenwinkel", "anna@example.com"))
    if business is None or anna is None:
        return
    start = now - timedelta(days=9)
    need = _try(
        start,
        needs.need_open,
        customer=anna,
        kind="order",
        summary="Fiets van mijn dochter opknappen: vijf onderdelen",
        goal="Zaterdag samen de fiets in orde maken.",
    )
    if need is None:
        return
    # The five parts are the shop's catalog items (demo/shop.py loads them first).
    parts = [
        "Kettingolie 100 ml",
        "Fietslamp LED voor",
        "Fietsbel",
        "Zadel Comfort",
        "Binnenband 26 inch",
    ]
    catalog = {c.name: c for c in CatalogItem.objects.filter(business=business, name__in=parts)}
    for n, part in enumerate(parts):
        item = catalog.get(part)
        if item is None:
            continue
        placed = start + timedelta(minutes=5 + n)
        promised = start + timedelta(days=2)
        delivered = start + timedelta(days=1, hours=10 + n)
        # Demo shortcut: the orders of one need (order_place opens a need per order), with
        # their line, a promise in words and fulfilled on delivery, as ingest would.
        with translation.override("nl"):
            promise_text = date_format(timezone.localtime(promised), "l j F")
        order = Order.objects.create(
            business=business,
            need=need,
            customer=anna,
            channel=OrderChannel.SHOP,
            promised_at=promised,
            promise_text=promise_text,
            total_cents=item.price_cents,
            created_at=placed,
            updated_at=placed,
        )
        OrderLine.objects.create(
            order=order, business=business, item=item, quantity=1, price_cents=item.price_cents
        )
        with at(delivered):
            checkpoint_record(order=order, code="delivered", at=delivered)
        Order.objects.filter(pk=order.pk).update(status=OrderStatus.FULFILLED)
        bad = part.startswith("Binnenband")
        _try(
            delivered + timedelta(hours=2),
            feedback.rating_give,
            customer=anna,
            order_id=order.pk,
            touchpoint="delivered",
            rating=1 if bad else 5,
            comment="Verkeerde maat: 28 in plaats van 26 inch." if bad else "",
        )
    owner = Need.objects.get(pk=need.pk).owner
    t = start + timedelta(days=2)
    _try(
        t,
        needs.message_post_by_staff,
        staff=owner,
        need=need,
        body="Sorry! De juiste band gaat vandaag de deur uit.",
    )
    _try(
        t + timedelta(hours=1),
        needs.resolution_propose,
        staff=owner,
        need=need,
        summary="Juiste binnenband verstuurd.",
    )
    _try(t + timedelta(days=1), needs.resolution_confirm, customer=anna, need=need)


def _listening(
    ctx: DemoContext, business: Business, story: dict[str, Any], rng: random.Random, now: datetime
) -> None:
    """A fortnight of daily samples; the manager read most of them."""
    manager = ctx.staff[story["manager"]]
    tz = zone(business.time_zone)
    for day in range(14, 0, -1):
        d = (now - timedelta(days=day)).astimezone(tz).date()
        facts = NeedFacts.objects.filter(business=business, day=d)
        picked: dict[int, str] = {}
        for f in facts.filter(rating_min__isnull=False).order_by("rating_min")[:2]:
            picked.setdefault(f.need_id, "lowest_rating")
        for f in facts.order_by("-contacts")[:2]:
            picked.setdefault(f.need_id, "most_contacts")
        for f in facts.exclude(need_id__in=list(picked)).order_by("?")[:1]:
            picked.setdefault(f.need_id, "random")
        rows = ListeningSample.objects.bulk_create(
            [
                ListeningSample(business=business, need_id=n, sampled_on=d, reason=r)
                for n, r in picked.items()
            ]
        )
        for s in rows:
            if rng.random() < 0.7:
                _try(
                    now - timedelta(days=day) + timedelta(hours=20),
                    feedback.listening_mark,
                    staff=manager,
                    sample_id=s.pk,
                    note=rng.choice(
                        [
                            "Vriendelijk en snel.",
                            "Klant moest te vaak terugkomen.",
                            "Goed opgelost.",
                            "",
                        ]
                    ),
                )
    listening.listening_sample(business_id=business.pk, day=now.astimezone(tz).date(), now=now)
    # The statuses changed by the listening notes are internal; nothing else to rebuild.
    _ = NeedStatus
