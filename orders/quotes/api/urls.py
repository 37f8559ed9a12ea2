"""API of quotes, mounted under /api/v1/ by marketplace/api.py."""

urlpatterns: list = []
