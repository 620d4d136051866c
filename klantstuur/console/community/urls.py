from django.urls import path

from . import views

app_name = "console_community"

urlpatterns = [
    path("needs/<int:need_id>/answers/<int:answer_id>/endorse", views.endorse, name="endorse"),
    path("needs/<int:need_id>/answers/<int:answer_id>/correct", views.correct, name="correct"),
    path("needs/<int:need_id>/answers/<int:answer_id>/hide", views.hide, name="hide"),
]
