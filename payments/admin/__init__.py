"""Django admin for payments, one module per area (loaded by admin autodiscovery)."""
from payments.admin import reconciliation  # noqa: F401
from payments.admin import money  # noqa: F401
