"""Demo mode: a landing page that logs you in as any demo persona with one click."""

from django.conf import settings
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from klantstuur.accounts.actors import customer_of
from klantstuur.accounts.services import customer_user
from klantstuur.businesses.models import StaffMember
from klantstuur.customers.models import Customer

from .data import DEMO_PASSWORD, Persona, personas


def landing(request: HttpRequest) -> HttpResponse:
    if not settings.DEMO_MODE:
        if customer_of(request.user) is not None:  # type: ignore[arg-type]
            return redirect("portal:home")
        return redirect("console:home")
    people = personas()
    businesses: dict[str, list[Persona]] = {}
    for p in people:
        businesses.setdefault(p.business, []).append(p)
    return render(
        request,
        "demo/landing.html",
        {"businesses": businesses, "demo_password": DEMO_PASSWORD},
    )


@require_POST
def persona_login(request: HttpRequest) -> HttpResponse:
    if not settings.DEMO_MODE:
        raise Http404
    key = request.POST.get("persona", "")
    kind, _, rest = key.partition(":")
    if kind == "staff":
        member = StaffMember.objects.select_related("user").filter(user__email=rest).first()
        if member is None:
            raise Http404
        login(request, member.user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("console:home")
    if kind == "customer":
        slug, _, email = rest.partition(":")
        customer = Customer.objects.filter(business__slug=slug, email__iexact=email).first()
        if customer is None:
            raise Http404
        user = customer_user(customer=customer)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("portal:home")
    raise Http404


@csrf_exempt
@require_POST
def webhook_inbox(request: HttpRequest) -> HttpResponse:
    """The demo's own webhook receiver (demo/integrations.py): takes every message."""
    if not settings.DEMO_MODE:
        raise Http404
    return HttpResponse(status=204)
