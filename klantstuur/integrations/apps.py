from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "klantstuur.integrations"
    label = "integrations"

    def ready(self) -> None:
        from klantstuur.core import health
        from klantstuur.needs import reactions

        from . import fanout, sender

        # Deferred: the journal is the outbox; only events from now on are sent.
        reactions.register(
            "webhooks",
            fanout.fan_out,
            deferred=True,
            many=fanout.fan_out_many,
            from_start=False,
        )
        health.register("webhooks", sender.report)
