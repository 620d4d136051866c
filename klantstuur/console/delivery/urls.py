from django.urls import URLPattern

app_name = "console_delivery"
urlpatterns: list[URLPattern] = []
