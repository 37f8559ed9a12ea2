from django.urls import path

from payments.views import checkout, money, webhook

app_name = "payments"

urlpatterns = [
    path("webhooks/stripe/", webhook.stripe_webhook, name="stripe-webhook"),
    path("orders/<int:pk>/pay/", checkout.order_pay, name="order-pay"),
    path("orders/<int:pk>/pay/sandbox/", checkout.order_pay_sandbox, name="order-pay-sandbox"),
    path("orders/<int:pk>/pay/return/", checkout.order_pay_return, name="order-pay-return"),
    path("orders/<int:pk>/pay/status/", checkout.order_pay_status, name="order-pay-status"),
    path("payments/money/", money.money_dashboard, name="money"),
]
