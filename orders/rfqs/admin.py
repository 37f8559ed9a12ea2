"""Django admin of rfqs (imported by orders/admin.py)."""
