from django.urls import path

from listings import views

app_name = "listings"

urlpatterns = [
    path("catalogue/", views.search, name="search"),
    path("listings/<int:pk>/", views.listing_detail, name="detail"),
    path("sellers/<slug:slug>/", views.storefront, name="storefront"),
    path("seller/listings/", views.my_listings, name="my_listings"),
    path("seller/listings/new/", views.listing_edit, name="create"),
    path("seller/listings/<int:pk>/edit/", views.listing_edit, name="edit"),
    path("seller/listings/<int:pk>/submit/", views.listing_submit, name="submit"),
    path("seller/listings/<int:pk>/archive/", views.listing_archive, name="archive"),
]
