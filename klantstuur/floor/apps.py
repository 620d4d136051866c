from django.apps import AppConfig


class FloorConfig(AppConfig):
    name = "klantstuur.floor"
    label = "floor"
