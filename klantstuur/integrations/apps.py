from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "klantstuur.integrations"
    label = "integrations"

    def ready(self) -> None:
        from klantstuur.core import health, sweeps
        from klantstuur.needs import reactions

        from . import fanout, sender, services

        # Deferred: the journal is the outbox. From the start, so no event is passed over
        # before the first round; an endpoint hears only of events from its own creation on.
        reactions.register(
            "webhooks", fanout.fan_out, deferred=True, many=fanout.fan_out_many, from_start=True
        )
        health.register("webhooks", sender.report)
        sweeps.register("webhook_log_pruned", services.deliveries_prune)
