from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "klantstuur.customers"
    label = "customers"
