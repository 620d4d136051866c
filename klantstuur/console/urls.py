from django.http import HttpResponse
from django.urls import path

app_name = "console"


def _todo(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    return HttpResponse("console")


urlpatterns = [
    path("", _todo, name="home"),
    path("login/", _todo, name="login"),
    path("needs/<int:need_id>/", _todo, name="need"),
    path("magic/", _todo, name="magic"),
]
