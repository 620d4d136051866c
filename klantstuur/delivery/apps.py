from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "klantstuur.delivery"
    label = "delivery"
