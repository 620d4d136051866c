from django.urls import path

from . import views

app_name = "console_webhooks"
urlpatterns = [
    path("", views.endpoints, name="endpoints"),
    path("<int:endpoint_id>/", views.endpoint, name="endpoint"),
    path("<int:endpoint_id>/rotate", views.rotate, name="rotate"),
    path("<int:endpoint_id>/ping", views.ping, name="ping"),
    path("<int:endpoint_id>/enable", views.enable, name="enable"),
    path("<int:endpoint_id>/delete", views.delete, name="delete"),
    path("<int:endpoint_id>/deliveries/<int:delivery_id>/resend", views.resend, name="resend"),
]
