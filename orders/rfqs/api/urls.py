"""API of rfqs, mounted under /api/v1/ by marketplace/api.py."""

from django.urls import path

from orders.rfqs.api import views

urlpatterns = [
    path("rfqs/", views.RFQListCreateView.as_view(), name="api-rfq-list"),
    path("rfqs/<int:pk>/", views.RFQDetailView.as_view(), name="api-rfq-detail"),
    path("rfqs/<int:pk>/close/", views.RFQCloseView.as_view(), name="api-rfq-close"),
    path("rfqs/<int:pk>/cancel/", views.RFQCancelView.as_view(), name="api-rfq-cancel"),
    path(
        "rfqs/<int:pk>/attachments/",
        views.RFQAttachmentCreateView.as_view(),
        name="api-rfq-attachments",
    ),
]
