from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "klantstuur.orders"
    label = "orders"

    def ready(self) -> None:
        from klantstuur.core import sweeps

        from .promises import sweep_late_lines

        sweeps.register("orders.late_lines", sweep_late_lines)
