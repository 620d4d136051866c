"""The demo of ../shared/API.md: two businesses, their staff, Anna and Bram.

Everything is made through the services, so the journal tells the same story
the pages and the API show.
"""

from dataclasses import dataclass

from django.db import transaction

from klantstuur.businesses.models import Business, Role, StaffMember
from klantstuur.businesses.services import business_create, staff_create
from klantstuur.customers.models import Customer
from klantstuur.customers.services import customer_create
from klantstuur.needs import consumers
from klantstuur.needs import services as needs
from klantstuur.needs.load import active_needs_recount
from klantstuur.needs.models import Need
from klantstuur.needs.notifications import notifications_suppressed

from . import community, history, integrations, restaurant, shop
from .context import DemoContext

DEMO_PASSWORD = "klantstuur-demo"  # noqa: S105 - published in the README on purpose


@dataclass(frozen=True)
class StaffSeed:
    email: str
    name: str
    role: str
    authority_cents: int


BUSINESSES: dict[str, tuple[str, list[StaffSeed]]] = {
    "pannenkoekenboom": (
        "De Pannenkoekenboom",
        [
            StaffSeed(
                "manager@pannenkoekenboom.example", "Marleen (bedrijfsleider)", Role.MANAGER, 20000
            ),
            StaffSeed("sanne@pannenkoekenboom.example", "Sanne", Role.HOST, 2500),
            StaffSeed("daan@pannenkoekenboom.example", "Daan", Role.HOST, 2500),
            StaffSeed("keuken@pannenkoekenboom.example", "Keuken (Joost)", Role.KITCHEN, 0),
            StaffSeed("loper@pannenkoekenboom.example", "Loper (Fatima)", Role.RUNNER, 0),
        ],
    ),
    "fietsenwinkel": (
        "Fietsenwinkel Spaak",
        [
            StaffSeed("manager@fietsenwinkel.example", "Kees (manager)", Role.MANAGER, 100000),
            StaffSeed("noor@fietsenwinkel.example", "Noor", Role.AGENT, 5000),
            StaffSeed("milan@fietsenwinkel.example", "Milan", Role.AGENT, 5000),
            StaffSeed("eva@fietsenwinkel.example", "Eva (teamleider)", Role.LEAD, 50000),
            StaffSeed(
                "vervoerder@fietsenwinkel.example", "Vervoerder (koppeling)", Role.CARRIER, 0
            ),
        ],
    ),
}

CustomerMap = dict[tuple[str, str], Customer]

CUSTOMERS = [("Anna de Boer", "anna@example.com"), ("Bram Jansen", "bram@example.com")]


def demo_loaded() -> bool:
    return Business.objects.filter(slug="pannenkoekenboom").exists()


def load_demo() -> None:
    # History, not news: nobody gets e-mails about the demo's past.
    with notifications_suppressed(), transaction.atomic():
        _load()
        # Every step above kept the counters; the repair states it holds after a load.
        active_needs_recount()
        # The reactions start after the history: it is loaded, not lived.
        consumers.skip_to_head()


def _load() -> None:
    ctx = DemoContext()
    staff = ctx.staff
    customers = ctx.customers
    for slug, (name, seeds) in BUSINESSES.items():
        business = business_create(slug=slug, name=name)
        ctx.businesses[slug] = business
        for seed in seeds:
            staff[seed.email] = staff_create(
                business=business,
                email=seed.email,
                name=seed.name,
                role=seed.role,
                authority_cents=seed.authority_cents,
                password=DEMO_PASSWORD,
            )
        for cname, email in CUSTOMERS:
            customers[(slug, email)] = customer_create(
                business=business, name=cname, email=email, language="nl"
            )
    _restaurant_story(staff, customers)
    _shop_story(staff, customers)
    # The stories of the later issues: the terrace, steered delivery, measured history.
    restaurant.load(ctx)
    shop.load(ctx)
    community.load(ctx)
    history.load(ctx)
    integrations.load(ctx)


def _restaurant_story(staff: dict[str, StaffMember], customers: CustomerMap) -> None:
    anna = customers[("pannenkoekenboom", "anna@example.com")]
    bram = customers[("pannenkoekenboom", "bram@example.com")]
    sanne = staff["sanne@pannenkoekenboom.example"]
    daan = staff["daan@pannenkoekenboom.example"]

    # Solved earlier: a question answered and confirmed by Anna.
    old = needs.need_open(
        customer=anna, kind="question", summary="Hebben jullie een kinderstoel op het terras?"
    )
    old = _assign(old, sanne)
    needs.message_post_by_staff(
        staff=sanne, need=old, body="Ja, drie. Ik zet er een voor je klaar."
    )
    needs.resolution_propose(staff=sanne, need=old, summary="Kinderstoel staat klaar aan tafel 12.")
    needs.resolution_confirm(customer=anna, need=old)

    # A complaint with a remedy on the spot, waiting for Anna to confirm.
    cold = needs.need_open(
        customer=anna,
        kind="complaint",
        summary="Mijn pannenkoek was koud en kwam bij de verkeerde tafel",
        goal="Een warme maaltijd voor mijn dochter voordat we naar huis moeten.",
    )
    needs.message_post_by_staff(
        staff=sanne,
        need=cold,
        body="Wat vervelend! Er staat een nieuwe warme pannenkoek op het vuur, over 8 minuten bij je.",
    )
    needs.message_post_by_staff(
        staff=sanne, need=cold, body="Loper zocht tafel 21 i.p.v. 12; besproken.", internal=True
    )
    needs.remedy_grant(
        staff=sanne, need=cold, kind="goodwill", amount_cents=450, note="Kinderijsje van het huis"
    )
    needs.resolution_propose(
        staff=sanne,
        need=cold,
        summary="Nieuwe warme pannenkoek gebracht en een ijsje van het huis.",
    )

    # Bram waits for an answer.
    gluten = needs.need_open(
        customer=bram,
        kind="question",
        summary="Kunnen jullie glutenvrije pannenkoeken bakken?",
        goal="Zaterdag met mijn schoonmoeder komen eten; zij heeft coeliakie.",
    )
    _assign(gluten, daan)


def _shop_story(staff: dict[str, StaffMember], customers: CustomerMap) -> None:
    anna = customers[("fietsenwinkel", "anna@example.com")]
    bram = customers[("fietsenwinkel", "bram@example.com")]
    noor = staff["noor@fietsenwinkel.example"]
    milan = staff["milan@fietsenwinkel.example"]
    eva = staff["eva@fietsenwinkel.example"]

    brakes = needs.need_open(
        customer=anna,
        kind="order",
        summary="Remblokken Shimano B01S niet ontvangen",
        goal="Vrijdag weer veilig naar mijn werk fietsen.",
    )
    brakes = _assign(brakes, noor)
    # Anna answered Noor's e-mail (issue #11): "per e-mail" on the timeline.
    needs.message_post_by_customer(
        customer=anna,
        need=brakes,
        body="Track & trace zegt al 3 dagen 'onderweg'.",
        channel="email",
    )
    needs.message_post_by_staff(
        staff=noor,
        need=brakes,
        body="Ik zoek het uit bij de vervoerder en kom vandaag bij je terug.",
    )
    needs.message_post_by_staff(
        staff=noor,
        need=brakes,
        body="Vervoerder kan pakket niet vinden. Nieuwe zending + vergoeding?",
        internal=True,
    )
    needs.handoff_offer(
        staff=noor,
        need=brakes,
        to_staff=eva,
        reason="Opnieuw verzenden én verzendkosten terug (€ 65) gaat boven mijn bevoegdheid.",
    )

    tube = needs.need_open(
        customer=bram,
        kind="return",
        summary="Verkeerde maat binnenband (28 i.p.v. 26 inch)",
        goal="De juiste band voor de fiets van mijn zoon.",
    )
    tube = _assign(tube, milan)
    needs.remedy_grant(
        staff=milan, need=tube, kind="replacement", amount_cents=899, note="26 inch binnenband"
    )
    needs.resolution_propose(
        staff=milan, need=tube, summary="Juiste binnenband verstuurd; retourlabel gemaild."
    )
    needs.need_reopen(customer=bram, need=tube, reason="Het retourlabel is niet aangekomen.")

    _mail_story()

    saddle = needs.need_open(
        customer=bram, kind="question", summary="Past zadel X op een Gazelle Orange?"
    )
    saddle = _assign(saddle, noor)
    needs.message_post_by_staff(staff=noor, need=saddle, body="Ja, met de standaard zadelpen.")
    needs.resolution_propose(staff=noor, need=saddle, summary="Past, met standaard zadelpen.")
    needs.resolution_confirm(customer=bram, need=saddle)


def _mail_story() -> None:
    """Bram wrote to the shop's address: a need by e-mail, with an owner at once."""
    from email.message import EmailMessage

    from klantstuur.mail.inbound import mail_receive
    from klantstuur.needs.mailout import business_address

    message = EmailMessage()
    message["From"] = "Bram <bram@example.com>"
    message["To"] = business_address("fietsenwinkel")
    message["Subject"] = "Bel rammelt na montage"
    message["Message-ID"] = "<demo-bel@example.com>"
    message.set_content(
        "Hoi,\n\nDe bel die ik vorige week kocht rammelt na de montage. Kan ik hem ruilen?"
        "\n\nGroet,\nBram\n"
    )
    mail_receive(raw=message.as_bytes(), via="smtp")


def _assign(need: Need, owner: StaffMember) -> Need:
    """Demo only: let the story pick its owner through a real, accepted handoff."""
    if need.owner_id == owner.pk:
        return need
    offer = needs.handoff_offer(
        staff=need.owner, need=need, to_staff=owner, reason="Past beter bij jou."
    )
    return needs.handoff_accept(staff=owner, handoff=offer)


@dataclass(frozen=True)
class Persona:
    key: str
    label: str
    email: str
    business: str
    kind: str  # "staff" or "customer"


def personas() -> list[Persona]:
    out: list[Persona] = []
    for slug, (bname, seeds) in BUSINESSES.items():
        for seed in seeds:
            if seed.role == Role.CARRIER:
                continue
            out.append(
                Persona(
                    key=f"staff:{seed.email}",
                    label=f"{seed.name} — {Role(seed.role).label}",
                    email=seed.email,
                    business=bname,
                    kind="staff",
                )
            )
        for cname, email in CUSTOMERS:
            out.append(
                Persona(
                    key=f"customer:{slug}:{email}",
                    label=cname,
                    email=email,
                    business=bname,
                    kind="customer",
                )
            )
    return out
