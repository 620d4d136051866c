from django.urls import URLPattern, path  # noqa: F401

app_name = "console_floor"
urlpatterns: list[URLPattern] = []
