from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "klantstuur.feedback"
    label = "feedback"

    def ready(self) -> None:
        from klantstuur.core import sweeps

        from . import services

        sweeps.register("listening_sample", services.listening_sweep)
