from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "klantstuur.delivery"
    label = "delivery"

    def ready(self) -> None:
        from klantstuur.core import sweeps
        from klantstuur.needs import notifications, reactions
        from klantstuur.needs.models import EventKind
        from klantstuur.orders import fulfilment

        from . import notify, proactive
        from .services import booking

        reactions.register(
            "delivery_problems", proactive.react, deferred=True, kinds=[EventKind.CHECKPOINT]
        )
        sweeps.register("delivery_promises", proactive.promises_check)
        # Alert e-mails are recorded and retried like every notification (issue #15).
        notifications.register_composer(EventKind.ALERT, notify.alert_mails)
        fulfilment.register(
            fulfilment.Fulfilment(
                name="delivery",
                placed=booking.delivery_book,
                cancelling=booking.delivery_lock_for_cancel,
                cancelled=booking.delivery_cancel,
            )
        )
