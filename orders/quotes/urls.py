"""Pages of quotes (mounted at the site root by marketplace/urls.py)."""

app_name = "quotes"

urlpatterns: list = []
