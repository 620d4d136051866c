from django.urls import path

from . import conversation, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("magic/", views.magic, name="magic"),
    path("logout/", views.logout, name="logout"),
    path("me/", views.profile, name="profile"),
    path("needs/new", views.need_new, name="need_new"),
    path("needs/<int:need_id>/", views.need, name="need"),
    path("needs/<int:need_id>/live/", conversation.need_live, name="need_live"),
    path("needs/<int:need_id>/stream/", conversation.need_stream_view, name="need_stream"),
    path("needs/<int:need_id>/files/<int:file_id>", conversation.need_file, name="need_file"),
    path("needs/<int:need_id>/message", views.need_message, name="need_message"),
    path("needs/<int:need_id>/confirm", views.need_confirm, name="need_confirm"),
    path("needs/<int:need_id>/reopen", views.need_reopen, name="need_reopen"),
    path("needs/<int:need_id>/cancel", views.need_cancel, name="need_cancel"),
]
