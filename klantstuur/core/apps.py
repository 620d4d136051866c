from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "klantstuur.core"
    label = "core"

    def ready(self) -> None:
        from . import sweeps, task_results

        sweeps.register("task_results_pruned", task_results.prune)
