from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "klantstuur.demo"
    label = "demo"
