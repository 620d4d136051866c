from django.urls import path

from . import views

app_name = "console_delivery"
urlpatterns = [
    path("orders/", views.orders, name="orders"),
    path("orders/<int:order_id>/", views.order, name="order"),
    path("orders/<int:order_id>/scan", views.scan, name="scan"),
    path("orders/<int:order_id>/tracking", views.tracking_set, name="tracking"),
    path(
        "orders/<int:order_id>/lines/<int:line_id>/out-of-stock",
        views.out_of_stock,
        name="out_of_stock",
    ),
    path("returns/<int:return_id>/arrived", views.return_arrived, name="return_arrived"),
]
