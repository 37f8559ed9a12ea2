from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "marketplace.accounts"
    label = "accounts"
    verbose_name = "Accounts and companies"

    def ready(self) -> None:
        from marketplace.accounts import checks  # noqa: F401 - registers the system checks
        from marketplace.accounts.security import security_receivers_connect

        security_receivers_connect()
