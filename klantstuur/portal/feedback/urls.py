from django.urls import URLPattern

app_name = "portal_feedback"
urlpatterns: list[URLPattern] = []
