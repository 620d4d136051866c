from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "klantstuur.api"
    label = "api"
