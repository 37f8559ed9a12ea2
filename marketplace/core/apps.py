from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "marketplace.core"
    label = "core"
    verbose_name = "Platform core"

    def ready(self) -> None:
        from marketplace.core import checks  # noqa: F401  (registers the system checks)
