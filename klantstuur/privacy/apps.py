from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "klantstuur.privacy"
    label = "privacy"

    def ready(self) -> None:
        from klantstuur.core import sweeps

        from . import erasure

        sweeps.register("customer_erasures", erasure.erasures_carry_out)
