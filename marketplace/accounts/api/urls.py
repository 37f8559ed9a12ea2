from django.urls import path

from marketplace.accounts.api import views

urlpatterns = [
    path("auth/token/", views.AuthTokenView.as_view(), name="api-auth-token"),
    path("auth/tokens/", views.ApiTokenListView.as_view(), name="api-auth-tokens"),
    path("auth/tokens/<int:pk>/", views.ApiTokenDetailView.as_view(), name="api-auth-token-detail"),
    path("me/", views.MeView.as_view(), name="api-me"),
]
