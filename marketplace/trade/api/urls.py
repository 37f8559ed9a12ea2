from django.urls import path

from marketplace.trade.api import views

app_name = "trade_api"

urlpatterns = [
    path("hs-codes/", views.HSCodeListView.as_view(), name="hs-code-list"),
    path("incoterms/", views.IncotermListView.as_view(), name="incoterm-list"),
    path("currencies/", views.CurrencyListView.as_view(), name="currency-list"),
]
