"""Pages of quotes (mounted at the site root by marketplace/urls.py)."""

from django.urls import path

from orders.quotes import views

app_name = "quotes"

urlpatterns = [
    path("rfqs/<int:pk>/quote/", views.quote_new_for_rfq, name="new_for_rfq"),
    path("rfqs/<int:pk>/quotes/", views.rfq_quotes_compare, name="compare"),
    path("messages/<int:pk>/quote/", views.quote_new_for_conversation, name="new_for_conversation"),
    path("quotes/<int:pk>/", views.quote_detail, name="detail"),
    path("quotes/<int:pk>/revise/", views.quote_revise, name="revise"),
    path("quotes/<int:pk>/withdraw/", views.quote_withdraw, name="withdraw"),
    path("quotes/<int:pk>/decline/", views.quote_decline, name="decline"),
    path("quotes/<int:pk>/accept/", views.quote_accept, name="accept"),
]
