from django.apps import AppConfig


class NeedsConfig(AppConfig):
    name = "klantstuur.needs"
    label = "needs"

    def ready(self) -> None:
        from . import notifications, reactions

        reactions.register("notifications", notifications.react)
