"""A URL that fails as a bug would, for the logging tests (issue #15)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from klantstuur.urls import handler404, handler500, urlpatterns  # noqa: F401


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom: a bug nobody caught")


urlpatterns = [path("boom/", boom), path("api/v1/boom/", boom), *urlpatterns]
