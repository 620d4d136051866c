from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "klantstuur.core"
    label = "core"
