from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "klantstuur.mail"
    label = "mail"
    verbose_name = "E-mail in"
