from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "payments.ledger"
    label = "ledger"
    verbose_name = "Ledger"
