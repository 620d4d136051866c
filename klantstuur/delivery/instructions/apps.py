from django.apps import AppConfig


class InstructionsConfig(AppConfig):
    """Standing instructions, a part of delivery: its label (tables, migrations) stays."""

    name = "klantstuur.delivery.instructions"
    label = "instructions"

    def ready(self) -> None:
        from klantstuur.delivery import hooks

        from . import engine, late

        hooks.register(
            "standing_instructions",
            problem=engine.carry_out,
            promise_sweep=late.late_rules,
            contact=engine.contact_preferences,
        )
