from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "klantstuur.catalog"
    label = "catalog"
