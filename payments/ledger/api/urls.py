from django.urls import path

from payments.ledger.api import views

app_name = "ledger_api"

urlpatterns = [
    path("ledger/balances/", views.LedgerBalancesView.as_view(), name="balances"),
    path("ledger/check/", views.LedgerCheckView.as_view(), name="check"),
]
