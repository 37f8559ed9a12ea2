"""Django admin of quotes (imported by orders/admin.py)."""
