from django.urls import path

from payments.views import webhook

app_name = "payments"

urlpatterns = [
    path("webhooks/stripe/", webhook.stripe_webhook, name="stripe-webhook"),
]
