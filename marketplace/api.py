"""The API router: every domain's `/api/v1/` routes, mounted in one place."""

from django.urls import include, path

urlpatterns = [
    path("", include("marketplace.accounts.api.urls")),
    path("", include("marketplace.trade.api.urls")),
    path("", include("listings.api.urls")),
    path("", include("orders.api.urls")),
    path("", include("orders.conversations.api.urls")),
    path("", include("orders.rfqs.api.urls")),
    path("", include("orders.quotes.api.urls")),
    path("", include("orders.documents.api.urls")),
    path("", include("payments.ledger.api.urls")),
    path("", include("payments.api.urls")),
]
