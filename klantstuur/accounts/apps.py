from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "klantstuur.accounts"
    label = "accounts"
