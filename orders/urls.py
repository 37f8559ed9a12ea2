from django.urls import path

from orders import views

app_name = "orders"

urlpatterns = [
    path("cart/", views.cart, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/<int:listing_pk>/update/", views.cart_update, name="cart_update"),
    path("cart/<int:listing_pk>/remove/", views.cart_remove, name="cart_remove"),
    path("checkout/", views.checkout, name="checkout"),
    path("checkout/estimate/<int:seller_pk>/", views.checkout_estimate, name="checkout_estimate"),
    path("orders/", views.order_list, name="list"),
    path("orders/<int:pk>/", views.order_detail, name="detail"),
    path("orders/<int:pk>/confirm/", views.order_confirm, name="confirm"),
    path("orders/<int:pk>/ship/", views.order_ship, name="ship"),
    path("orders/<int:pk>/cancel/", views.order_cancel, name="cancel"),
    path(
        "orders/<int:pk>/confirm-delivery/",
        views.order_confirm_delivery,
        name="confirm_delivery",
    ),
    path("orders/<int:pk>/accept/", views.order_accept, name="accept"),
    path("orders/<int:pk>/dispute/", views.order_dispute, name="dispute"),
    path("landed-cost/<int:pk>/", views.landed_cost_estimate, name="landed_cost_estimate"),
]
