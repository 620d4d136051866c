from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "klantstuur.metrics"
    label = "metrics"
