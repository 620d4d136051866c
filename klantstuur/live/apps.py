from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "klantstuur.live"
    label = "live"
