from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "orders.documents"
    label = "documents"
    verbose_name = "Trade documents"
