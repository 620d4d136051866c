from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "klantstuur.portal"
    label = "portal"
