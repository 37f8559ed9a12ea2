"""Pages of conversations (mounted at the site root by marketplace/urls.py)."""

app_name = "conversations"

urlpatterns: list = []
