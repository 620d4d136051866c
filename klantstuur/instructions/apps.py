from django.apps import AppConfig


class InstructionsConfig(AppConfig):
    name = "klantstuur.instructions"
    label = "instructions"
