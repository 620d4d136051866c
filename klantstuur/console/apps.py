from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "klantstuur.console"
    label = "console"
