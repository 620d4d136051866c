from django.urls import path

from . import conversation, views

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
    path("live/", conversation.home_live, name="home_live"),
    path("stream/", conversation.home_stream, name="home_stream"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("needs/", views.needs, name="needs"),
    path("needs/<int:need_id>/", views.need, name="need"),
    path("needs/<int:need_id>/live/", conversation.need_live, name="need_live"),
    path("needs/<int:need_id>/stream/", conversation.need_stream_view, name="need_stream"),
    path("needs/<int:need_id>/files/<int:file_id>", conversation.need_file, name="need_file"),
    path("needs/<int:need_id>/reply", views.need_reply, name="need_reply"),
    path("needs/<int:need_id>/note", views.need_note, name="need_note"),
    path("needs/<int:need_id>/handoff", views.need_handoff, name="need_handoff"),
    path("needs/<int:need_id>/remedy", views.need_remedy, name="need_remedy"),
    path("needs/<int:need_id>/resolution", views.need_resolve, name="need_resolve"),
    path("handoffs/<int:handoff_id>/accept", views.handoff_accept, name="handoff_accept"),
    path("handoffs/<int:handoff_id>/decline", views.handoff_decline, name="handoff_decline"),
]
