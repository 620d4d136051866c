from django.urls import URLPattern, path  # noqa: F401

app_name = "console_insight"
urlpatterns: list[URLPattern] = []
