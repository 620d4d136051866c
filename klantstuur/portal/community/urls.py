from django.urls import path

from . import neighbours, views

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
    path("neighbours/", neighbours.neighbours, name="neighbours"),
    path("neighbours/offer", neighbours.offer, name="neighbour_offer"),
    path("neighbours/withdraw", neighbours.withdraw, name="neighbour_withdraw"),
    path("neighbours/orders/<int:order_id>/ask", neighbours.ask, name="neighbour_ask"),
    path("neighbours/requests/<int:request_id>/answer", neighbours.answer, name="neighbour_answer"),
]
