"""Django admin for payments, one module per area (loaded by admin autodiscovery)."""
