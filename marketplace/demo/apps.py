from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for `make run`: sits on top of the domain packages like the configuration."""

    name = "marketplace.demo"
    label = "demo"
    verbose_name = "Demo data"
