"""Demo story: customers among themselves at Fietsenwinkel Spaak (issue #16).

Bram shared a question; Anna answered it and Milan, its owner, confirmed her answer
("klopt"). Bram has not marked it yet: log in as Bram to mark the answer that helped and
confirm. Anna shared a question of her own that nobody answered yet: log in as Bram to
answer it from the portal's "Vraag het andere klanten". Bram accepts parcels for his
neighbours (3512 JK, number 14): log in as Anna, open *Buren* and ask him to take the
brake pads whose delivery failed; log in as Bram to accept.
"""

from klantstuur.businesses.models import StaffMember
from klantstuur.community import services as community
from klantstuur.needs import services as needs
from klantstuur.needs.models import Need

from .context import DemoContext


def _owned_by(need: Need, owner: StaffMember) -> Need:
    """Let the story pick its owner through a real, accepted handoff."""
    if need.owner_id == owner.pk:
        return need
    offer = needs.handoff_offer(staff=need.owner, need=need, to_staff=owner, reason="Jouw vak.")
    return needs.handoff_accept(staff=owner, handoff=offer)


def load(ctx: DemoContext) -> None:
    shop = ctx.businesses.get("fietsenwinkel")
    if shop is None:
        return
    anna = ctx.customers[("fietsenwinkel", "anna@example.com")]
    bram = ctx.customers[("fietsenwinkel", "bram@example.com")]
    milan = ctx.staff["milan@fietsenwinkel.example"]

    chain = needs.need_open(
        customer=bram,
        kind="question",
        summary="Past een 9-speed ketting op mijn 8-speed cassette?",
    )
    chain = _owned_by(chain, milan)
    community.question_share(customer=bram, need_id=chain.pk)
    answer = community.answer_post(
        customer=anna,
        need_id=chain.pk,
        body="Ja, dat past. Ik reed er een jaar mee; neem 116 schakels en kort hem in.",
    )
    community.answer_endorse(staff=milan, need_id=chain.pk, answer_id=answer.pk)

    tyres = needs.need_open(
        customer=anna,
        kind="question",
        summary="Welke bandendruk voor een bakfiets met twee kinderen?",
    )
    community.question_share(customer=anna, need_id=tyres.pk, display_name="Anna B.")

    community.neighbour_offer(
        customer=bram, postcode="3512 JK", house_number="14", hours_at_home="doordeweeks na 17:00"
    )
