from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "klantstuur.live"
    label = "live"

    def ready(self) -> None:
        from klantstuur.needs import reactions

        from .channels import react

        reactions.register("live", react)
