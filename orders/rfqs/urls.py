"""Pages of rfqs (mounted at the site root by marketplace/urls.py)."""

from django.urls import path

from orders.rfqs import views

app_name = "rfqs"

urlpatterns = [
    path("rfqs/", views.rfq_list, name="list"),
    path("rfqs/new/", views.rfq_create, name="create"),
    path("rfqs/<int:pk>/", views.rfq_detail, name="detail"),
    path("rfqs/<int:pk>/close/", views.rfq_close, name="close"),
    path("rfqs/<int:pk>/cancel/", views.rfq_cancel, name="cancel"),
    path(
        "rfqs/<int:pk>/attachments/<int:attachment_pk>/",
        views.rfq_attachment_download,
        name="attachment",
    ),
]
