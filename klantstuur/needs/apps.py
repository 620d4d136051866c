from django.apps import AppConfig


class NeedsConfig(AppConfig):
    name = "klantstuur.needs"
    label = "needs"

    def ready(self) -> None:
        from klantstuur.core import health, sweeps

        from . import consumers, notifications, reactions, services

        # Deferred: read from the journal in batches by the worker (needs.consumers).
        reactions.register(
            "notifications",
            notifications.react,
            deferred=True,
            many=notifications.react_many,
            kinds=notifications.NOTIFIED,
        )
        sweeps.register("handoffs", lambda now: sum(services.handoffs_remind_and_expire(now=now)))
        sweeps.register("autoconfirm", lambda now: services.resolutions_autoconfirm(now=now))
        sweeps.register("notifications_retry", notifications.notifications_retry)
        health.register("reactions", consumers.report)
        health.register("notifications", notifications.report)
