from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "klantstuur.community"
    label = "community"

    def ready(self) -> None:
        from klantstuur.delivery import hooks
        from klantstuur.needs import reactions

        from . import openness
        from .services.neighbours import instruction_ask

        # Deferred: a question leaves the list's index when its need closes (ADR 0010).
        # From the journal's start: a deployment's questions shared before the flag existed
        # are set right by reading the needs' closures once (idempotent, by current status).
        reactions.register(
            "community_openness",
            openness.react,
            deferred=True,
            many=openness.react_many,
            kinds=openness.KINDS,
            from_start=True,
        )
        # "If I'm not home, leave it with a participating neighbour" (standing instructions).
        hooks.register("community_neighbours", neighbour=instruction_ask)
