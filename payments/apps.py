from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from marketplace.core.outbox import outbox_handler_register
        from payments import checks  # noqa: F401  (registers the system checks)

        outbox_handler_register(
            topic="order.completed", task_name="payments.tasks.settlement_task", queue="payments"
        )
        outbox_handler_register(
            topic="order.cancelled",
            task_name="payments.tasks.order_cancelled_refund_task",
            queue="payments",
        )
        outbox_handler_register(
            topic="payments.refund", task_name="payments.tasks.refund_task", queue="payments"
        )
