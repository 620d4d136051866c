from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "klantstuur.live"
    label = "live"

    def ready(self) -> None:
        from klantstuur.needs import reactions

        from .channels import react, react_many

        reactions.register("live", react, many=react_many)
