from django.urls import path

from . import views

app_name = "portal_guest"
urlpatterns = [
    path("t/<str:qr>/", views.check_in, name="check_in"),
    path("<str:token>/", views.party, name="party"),
    path("<str:token>/live/", views.party_fragment, name="fragment"),
    path("<str:token>/stream/", views.party_stream, name="stream"),
    path("<str:token>/order/", views.order, name="order"),
    path("<str:token>/call/", views.call_host, name="call"),
    path("<str:token>/bill/", views.bill, name="bill"),
    path("<str:token>/feedback/", views.feedback, name="feedback"),
]
