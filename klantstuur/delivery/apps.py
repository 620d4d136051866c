from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "klantstuur.delivery"
    label = "delivery"

    def ready(self) -> None:
        from klantstuur.core import sweeps
        from klantstuur.needs import reactions

        from . import proactive

        reactions.register("delivery_problems", proactive.react, deferred=True)
        sweeps.register("delivery_promises", proactive.promises_check)
