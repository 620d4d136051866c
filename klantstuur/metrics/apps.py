from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "klantstuur.metrics"
    label = "metrics"

    def ready(self) -> None:
        from klantstuur.core import sweeps
        from klantstuur.needs import reactions

        from . import listening, projection

        reactions.register("metrics", projection.react, deferred=True, many=projection.react_many)
        sweeps.register("promises_observed", projection.promises_sweep)
        sweeps.register("listening_sample", listening.listening_sweep)
