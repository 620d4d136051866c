from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "klantstuur.community"
    label = "community"
