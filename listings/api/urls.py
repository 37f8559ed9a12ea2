from django.urls import path

from listings.api import views

urlpatterns = [
    path("listings/", views.ListingListCreateView.as_view(), name="api-listing-list"),
    path("listings/<int:pk>/", views.ListingDetailView.as_view(), name="api-listing-detail"),
    path("listings/<int:pk>/submit/", views.ListingSubmitView.as_view(), name="api-listing-submit"),
    path(
        "listings/<int:pk>/archive/",
        views.ListingArchiveView.as_view(),
        name="api-listing-archive",
    ),
    path(
        "listings/<int:pk>/images/",
        views.ListingImageCreateView.as_view(),
        name="api-listing-images",
    ),
    path("my/listings/", views.MyListingListView.as_view(), name="api-my-listings"),
    path("categories/", views.CategoryListView.as_view(), name="api-category-list"),
    path(
        "moderation/listings/<int:pk>/approve/",
        views.ListingApproveView.as_view(),
        name="api-moderation-listing-approve",
    ),
    path(
        "moderation/listings/<int:pk>/reject/",
        views.ListingRejectView.as_view(),
        name="api-moderation-listing-reject",
    ),
]
