from django.apps import AppConfig


class TradeConfig(AppConfig):
    name = "marketplace.trade"
    label = "trade"
    verbose_name = "Trade vocabulary"
