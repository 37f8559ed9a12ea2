"""Pages of conversations (mounted at the site root by marketplace/urls.py)."""

from django.urls import path

from orders.conversations import views

app_name = "conversations"

urlpatterns = [
    path("messages/", views.inbox, name="inbox"),
    path("messages/<int:pk>/", views.conversation_detail, name="detail"),
    path("messages/<int:pk>/new/", views.conversation_poll, name="poll"),
    path("messages/<int:pk>/send/", views.conversation_send, name="send"),
    path("messages/<int:pk>/report/", views.conversation_report, name="report"),
    path("messages/files/<int:pk>/", views.attachment_download, name="attachment"),
    path("listings/<int:pk>/contact/", views.contact_listing, name="contact_listing"),
    path("sellers/<slug:slug>/contact/", views.contact_seller, name="contact_seller"),
]
