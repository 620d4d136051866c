"""Invariants of outgoing webhooks, for any mix of endpoints and events."""

from random import Random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from klantstuur.integrations import fanout, sender
from klantstuur.integrations.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from klantstuur.needs.models import JournalEvent
from tests.conftest import World

KINDS = ["need_opened", "staff_message", "internal_note", "handoff_offered"]
CUSTOMER_SEES = {"need_opened", "staff_message"}


@given(attempts=st.integers(1, 40), seed=st.integers(0, 2**32 - 1))
def test_back_off_doubles_to_its_cap_with_half_of_it_random(attempts: int, seed: int) -> None:
    delay = min(3600.0, 10.0 * 2 ** (attempts - 1))
    got = sender.backoff(attempts, rng=Random(seed)).total_seconds()
    assert delay / 2 <= got <= delay


@settings(
    max_examples=15,  # one test transaction: kept short, it holds back the journal horizon
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    endpoints=st.lists(
        st.tuples(
            st.sampled_from(["x", "y"]),
            st.sampled_from([None, "a", "b"]),
            st.sets(st.sampled_from(KINDS), min_size=1),
        ),
        max_size=4,
    ),
    events=st.lists(
        st.tuples(st.sampled_from(["a", "b", "y"]), st.sampled_from(KINDS)), max_size=12
    ),
)
def test_each_event_reaches_exactly_the_endpoints_that_may_hear_it(
    world: World, endpoints: list[Any], events: list[tuple[str, str]]
) -> None:
    business = {"x": world.x, "y": world.y}
    customer = {"a": world.customer_a, "b": world.customer_b, "y": world.customer_y}
    made = [
        WebhookEndpoint.objects.create(
            business=business[b],
            customer=customer[c] if c else None,
            url="https://h.example/",
            events=sorted(kinds),
            secret="whsec_eA==",
        )
        for b, c, kinds in endpoints
    ]
    written = JournalEvent.objects.bulk_create(
        [
            JournalEvent(
                business_id=customer[c].business_id,
                customer=customer[c],
                need=None,
                kind=kind,
                visible_to_customer=kind in CUSTOMER_SEES,
            )
            for c, kind in events
        ]
    )
    try:
        fanout.fan_out_many(written)
        expected = set()
        for event in written:
            for e in made:
                if e.business_id != event.business_id or event.kind not in e.events:
                    continue
                if e.customer_id and (
                    e.customer_id != event.customer_id or event.kind not in CUSTOMER_SEES
                ):
                    continue
                expected.add((event.pk, e.pk))
        got = list(WebhookDelivery.objects.values_list("event_id", "endpoint_id"))
        assert sorted(got) == sorted(expected)  # each once, none missing, none extra
        assert set(WebhookDelivery.objects.values_list("status", flat=True)) <= {
            DeliveryStatus.PENDING
        }
    finally:
        WebhookEndpoint.objects.all().delete()
        JournalEvent.objects.filter(pk__in=[e.pk for e in written])._raw_delete("default")
