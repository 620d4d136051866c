from django.urls import path

from . import views

app_name = "portal_connections"
urlpatterns = [
    path("", views.home, name="home"),
    path("tokens", views.token_create, name="token_create"),
    path("tokens/<int:token_id>/revoke", views.token_revoke, name="token_revoke"),
    path("webhooks", views.endpoint_create, name="endpoint_create"),
    path("webhooks/<int:endpoint_id>/delete", views.endpoint_delete, name="endpoint_delete"),
]
