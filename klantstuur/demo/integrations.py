"""Demo story: Fietsenwinkel Spaak's ERP listens to webhooks (issue #12).

The demo subscribes its own inbox (``/demo/webhook-inbox``, which answers 204 to
anything) so the manager's Webhooks page shows a real delivery log from the first
minute on.
"""

from django.conf import settings

from klantstuur.integrations.services import endpoint_create

from .context import DemoContext

EVENTS = ["need_opened", "customer_message", "staff_message", "delivery_changed", "checkpoint"]


def load(ctx: DemoContext) -> None:
    shop = ctx.businesses.get("fietsenwinkel")
    manager = ctx.staff.get("manager@fietsenwinkel.example")
    if shop is None or manager is None:
        return
    endpoint_create(
        business=shop,
        url=settings.SITE_URL.rstrip("/") + "/demo/webhook-inbox",
        events=EVENTS,
        actor_staff=manager,
    )
