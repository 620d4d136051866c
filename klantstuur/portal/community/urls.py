from django.urls import path

from . import views

app_name = "portal_community"

urlpatterns = [
    path("", views.community, name="list"),
    path("leave", views.leave, name="leave"),
    path("<int:need_id>/", views.question, name="question"),
    path("<int:need_id>/answer", views.answer, name="answer"),
    path("<int:need_id>/answers/<int:answer_id>/report", views.report, name="report"),
    path("mine/<int:need_id>/share", views.share, name="share"),
    path("mine/<int:need_id>/unshare", views.unshare, name="unshare"),
    path("mine/<int:need_id>/answers/<int:answer_id>/helped", views.helped, name="helped"),
]
