from django.urls import path

from payments.views import checkout, money, payout_account, webhook

app_name = "payments"

urlpatterns = [
    path("webhooks/stripe/", webhook.stripe_webhook, name="stripe-webhook"),
    path("orders/<int:pk>/pay/", checkout.order_pay, name="order-pay"),
    path("orders/<int:pk>/pay/sandbox/", checkout.order_pay_sandbox, name="order-pay-sandbox"),
    path("orders/<int:pk>/pay/return/", checkout.order_pay_return, name="order-pay-return"),
    path("orders/<int:pk>/pay/status/", checkout.order_pay_status, name="order-pay-status"),
    path("payments/money/", money.money_dashboard, name="money"),
    path("payments/payout-account/", payout_account.payout_account, name="payout-account"),
    path(
        "payments/payout-account/stripe/",
        payout_account.payout_account_stripe,
        name="payout-account-stripe",
    ),
    path(
        "payments/payout-account/stripe/return/",
        payout_account.payout_account_return,
        name="payout-account-return",
    ),
    path(
        "payments/payout-account/stripe/refresh/",
        payout_account.payout_account_refresh,
        name="payout-account-refresh",
    ),
    path(
        "payments/payout-account/bank/",
        payout_account.payout_account_bank,
        name="payout-account-bank",
    ),
    path(
        "payments/sandbox/onboarding/<str:account_id>/",
        payout_account.sandbox_onboarding,
        name="sandbox-onboarding",
    ),
    path(
        "payments/staff/bank-payouts.csv",
        payout_account.bank_payouts_csv,
        name="bank-payouts-csv",
    ),
]
