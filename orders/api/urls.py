from django.urls import path

from orders.api import views

urlpatterns = [
    path("orders/", views.OrderListCreateView.as_view(), name="api-order-list"),
    path("orders/<int:pk>/", views.OrderDetailView.as_view(), name="api-order-detail"),
    path("orders/<int:pk>/confirm/", views.OrderConfirmView.as_view(), name="api-order-confirm"),
    path("orders/<int:pk>/cancel/", views.OrderCancelView.as_view(), name="api-order-cancel"),
    path("orders/<int:pk>/ship/", views.OrderShipView.as_view(), name="api-order-ship"),
    path(
        "orders/<int:pk>/confirm-delivery/",
        views.OrderConfirmDeliveryView.as_view(),
        name="api-order-confirm-delivery",
    ),
    path("orders/<int:pk>/accept/", views.OrderAcceptView.as_view(), name="api-order-accept"),
    path("orders/<int:pk>/dispute/", views.OrderDisputeView.as_view(), name="api-order-dispute"),
    path(
        "listings/<int:pk>/landed-cost/",
        views.ListingLandedCostView.as_view(),
        name="api-listing-landed-cost",
    ),
]
