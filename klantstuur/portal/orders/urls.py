from django.urls import path

from . import views

app_name = "portal_orders"

urlpatterns = [
    path("", views.orders, name="orders"),
    path("<int:order_id>/", views.order, name="order"),
    path("<int:order_id>/delivery", views.delivery_change, name="delivery_change"),
    path("<int:order_id>/change", views.change_form, name="change_form"),
    path("<int:order_id>/return", views.return_start, name="return_start"),
    path("<int:order_id>/delivery.ics", views.calendar, name="calendar"),
    path("returns/<int:return_id>/label/", views.return_label, name="return_label"),
    path("instructions/", views.instructions, name="instructions"),
    path(
        "instructions/<int:instruction_id>/remove",
        views.instruction_remove,
        name="instruction_remove",
    ),
    path("my-data/", views.my_data, name="my_data"),
    path("my-data/export.json", views.export, name="export"),
    path("my-data/erasure", views.erasure, name="erasure"),
    path("my-data/erasure/withdraw", views.erasure_withdraw, name="erasure_withdraw"),
    path("notifications/", views.notifications, name="notifications"),
]
