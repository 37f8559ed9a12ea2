"""API of quotes, mounted under /api/v1/ by marketplace/api.py."""

from django.urls import path

from orders.quotes.api import views

urlpatterns = [
    path("rfqs/<int:pk>/quotes/", views.RFQQuotesView.as_view(), name="api-rfq-quotes"),
    path("quotes/", views.QuoteListCreateView.as_view(), name="api-quote-list"),
    path("quotes/<int:pk>/", views.QuoteDetailView.as_view(), name="api-quote-detail"),
    path("quotes/<int:pk>/revise/", views.QuoteReviseView.as_view(), name="api-quote-revise"),
    path("quotes/<int:pk>/withdraw/", views.QuoteWithdrawView.as_view(), name="api-quote-withdraw"),
    path("quotes/<int:pk>/decline/", views.QuoteDeclineView.as_view(), name="api-quote-decline"),
    path("quotes/<int:pk>/accept/", views.QuoteAcceptView.as_view(), name="api-quote-accept"),
]
