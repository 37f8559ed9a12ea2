"""Django admin for payments, one module per area (loaded by admin autodiscovery)."""

from payments.admin import (
    disputes,  # noqa: F401
    money,  # noqa: F401
    reconciliation,  # noqa: F401
)
