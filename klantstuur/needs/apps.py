from django.apps import AppConfig


class NeedsConfig(AppConfig):
    name = "klantstuur.needs"
    label = "needs"

    def ready(self) -> None:
        from klantstuur.core import sweeps

        from . import notifications, reactions, services

        # Deferred: one background task per event runs every deferred reaction.
        reactions.register("notifications", notifications.react, deferred=True)
        sweeps.register("handoffs", lambda now: sum(services.handoffs_remind_and_expire(now=now)))
        sweeps.register("autoconfirm", lambda now: services.resolutions_autoconfirm(now=now))
