from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "klantstuur.orders"
    label = "orders"
