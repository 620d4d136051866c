from django.apps import AppConfig


class NeedsConfig(AppConfig):
    name = "klantstuur.needs"
    label = "needs"
