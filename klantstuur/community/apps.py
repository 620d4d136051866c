from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "klantstuur.community"
    label = "community"

    def ready(self) -> None:
        from klantstuur.delivery import hooks

        from .services.neighbours import instruction_ask

        # "If I'm not home, leave it with a participating neighbour" (standing instructions).
        hooks.register("community_neighbours", neighbour=instruction_ask)
