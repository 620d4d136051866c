from django.apps import AppConfig


class BusinessesConfig(AppConfig):
    name = "klantstuur.businesses"
    label = "businesses"
