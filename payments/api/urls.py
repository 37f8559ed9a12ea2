from django.urls import path

from payments.api import views

urlpatterns = [
    path("orders/<int:pk>/payments/", views.OrderPaymentView.as_view(), name="api-order-payments"),
    path(
        "sandbox/payments/<str:payment_intent>/succeed/",
        views.SandboxSucceedView.as_view(),
        name="api-sandbox-payment-succeed",
    ),
    path(
        "sandbox/payments/<str:payment_intent>/fail/",
        views.SandboxFailView.as_view(),
        name="api-sandbox-payment-fail",
    ),
]
