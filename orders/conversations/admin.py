"""Django admin of conversations (imported by orders/admin.py)."""
