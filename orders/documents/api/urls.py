from django.urls import path

from orders.documents.api import views

app_name = "documents-api"

urlpatterns = [
    path(
        "orders/<int:order_id>/documents/",
        views.OrderDocumentListView.as_view(),
        name="order-documents",
    ),
    path(
        "documents/<int:document_id>/download/",
        views.DocumentDownloadView.as_view(),
        name="download",
    ),
    path("documents/verify/", views.DocumentVerifyFileView.as_view(), name="verify-file"),
    path(
        "documents/verify/<str:code>/",
        views.DocumentVerifyByCodeView.as_view(),
        name="verify-code",
    ),
]
