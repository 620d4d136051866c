from django.urls import path

from . import views

app_name = "portal_feedback"

urlpatterns = [
    path("rate", views.rate, name="rate"),
    path("guest/<str:token>/rate", views.guest_rate, name="guest_rate"),
    path("survey/<slug:kind>/", views.survey, name="survey"),
]
