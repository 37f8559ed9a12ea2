from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        from marketplace.core.outbox import outbox_handler_register
        from orders.documents.services import DOCUMENTS_TOPIC

        outbox_handler_register(
            topic=DOCUMENTS_TOPIC,
            task_name="orders.documents.tasks.trade_document_event_task",
            queue="documents",
        )
