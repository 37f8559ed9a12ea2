"""API of conversations, mounted under /api/v1/ by marketplace/api.py."""

from django.urls import path

from orders.conversations.api import views

urlpatterns = [
    path(
        "conversations/",
        views.ConversationListCreateView.as_view(),
        name="api-conversation-list",
    ),
    path(
        "conversations/<int:pk>/",
        views.ConversationDetailView.as_view(),
        name="api-conversation-detail",
    ),
    path(
        "conversations/<int:pk>/messages/",
        views.MessageListCreateView.as_view(),
        name="api-conversation-messages",
    ),
    path(
        "conversations/<int:pk>/read/",
        views.ConversationReadView.as_view(),
        name="api-conversation-read",
    ),
    path(
        "conversations/<int:pk>/report/",
        views.ConversationReportView.as_view(),
        name="api-conversation-report",
    ),
    path(
        "conversations/attachments/<int:pk>/",
        views.AttachmentDownloadView.as_view(),
        name="api-conversation-attachment",
    ),
]
