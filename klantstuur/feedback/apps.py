from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "klantstuur.feedback"
    label = "feedback"
