from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path

from klantstuur.api import streams as api_streams
from klantstuur.api.v1 import api
from klantstuur.core import db_trouble
from klantstuur.core.views import healthz, set_language

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Live streams of one need (issue #11): async views beside the ninja API.
    path("api/v1/needs/<int:need_id>/stream", api_streams.need_stream_view, name="api_need_stream"),
    path(
        "api/v1/me/needs/<int:need_id>/stream",
        api_streams.me_need_stream_view,
        name="api_me_need_stream",
    ),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    # Issue-sized interface packages, each with its own urls.py.
    path("console/floor/", include("klantstuur.console.floor.urls")),
    path("console/insight/", include("klantstuur.console.insight.urls")),
    path("console/delivery/", include("klantstuur.console.delivery.urls")),
    path("console/webhooks/", include("klantstuur.console.webhooks.urls")),
    path("guest/", include("klantstuur.portal.guest.urls")),
    path("portal/orders/", include("klantstuur.portal.orders.urls")),
    path("portal/feedback/", include("klantstuur.portal.feedback.urls")),
    path("portal/connections/", include("klantstuur.portal.connections.urls")),
    path("console/community/", include("klantstuur.console.community.urls")),
    path("portal/community/", include("klantstuur.portal.community.urls")),
    path("console/", include("klantstuur.console.urls")),
    path("portal/", include("klantstuur.portal.urls")),
    path("", include("klantstuur.demo.urls")),
]


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "No such endpoint."}, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler500(request: HttpRequest) -> HttpResponse:
    if (unavailable := db_trouble.unavailable(request)) is not None:
        return unavailable  # 503 with Retry-After (issue #15)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Internal error; nothing was changed."}, status=500)
    from django.views.defaults import server_error

    return server_error(request)


admin.site.site_header = "Klantstuur"
admin.site.site_title = "Klantstuur"
