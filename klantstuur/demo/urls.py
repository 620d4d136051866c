from django.urls import path

from . import views

app_name = "demo"
urlpatterns = [
    path("", views.landing, name="landing"),
    path("demo/login", views.persona_login, name="login"),
    path("demo/webhook-inbox", views.webhook_inbox, name="webhook_inbox"),
]
