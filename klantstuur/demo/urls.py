from django.urls import path

from . import views

app_name = "demo"
urlpatterns = [
    path("", views.landing, name="landing"),
    path("demo/login", views.persona_login, name="login"),
]
