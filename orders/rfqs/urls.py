"""Pages of rfqs (mounted at the site root by marketplace/urls.py)."""

app_name = "rfqs"

urlpatterns: list = []
