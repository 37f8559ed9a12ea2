from django.urls import path

from orders.documents import views

app_name = "documents"

urlpatterns = [
    path("documents/verify/", views.verify_lookup, name="verify"),
    path("documents/verify/<str:code>/", views.verify_detail, name="verify_detail"),
    path("documents/<int:pk>/download/", views.document_download, name="download"),
    path(
        "documents/orders/<int:order_pk>/",
        views.order_documents,
        name="order_documents",
    ),
]
