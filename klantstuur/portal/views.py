"""The customer portal: my needs, one timeline, my details. Thin views over services."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.core.mail import send_mail
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from sesame.utils import get_user

from klantstuur.accounts.actors import customer_of
from klantstuur.accounts.services import magic_link
from klantstuur.core import throttle
from klantstuur.core.errors import DomainError, NotFound
from klantstuur.core.pages import is_htmx, page_of, show_error
from klantstuur.core.text_guard import header_value
from klantstuur.customers.models import Customer
from klantstuur.customers.selectors import customer_by_email
from klantstuur.needs import selectors, services
from klantstuur.needs.models import Need
from klantstuur.privacy.services import customer_update

from .access import customer_page
from .community.views import need_panel
from .forms import CancelForm, LinkRequestForm, MessageForm, NeedForm, ProfileForm, ReopenForm

logout = auth_views.LogoutView.as_view(next_page="portal:login")


def _safe_next(request: HttpRequest, url: str | None) -> str | None:
    if (
        url
        and url.startswith("/")
        and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return url
    return None


def _with_language(response: HttpResponse, language: str) -> HttpResponse:
    if language in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


# --- logging in by magic link ------------------------------------------------------


def _customer_by_email(business_id: int, email: str) -> Customer | None:
    return customer_by_email(business_id=business_id, email=email)


def login(request: HttpRequest) -> HttpResponse:
    """Ask for a link. The answer is the same whether or not the address is known."""
    if request.method == "POST":
        form = LinkRequestForm(request.POST)
        if form.is_valid():
            business = form.cleaned_data["business"]
            email = form.cleaned_data["email"]
            # Every request counts, per address asked for and per client (issue #15).
            waits = [
                throttle.hit("magic-link-email", f"{business.pk}:{email}"),
                throttle.hit("magic-link-ip", throttle.client_ip(request)),
            ]
            if any(waits):
                return throttle.page(request, max(w for w in waits if w))
            customer = _customer_by_email(business.pk, email)
            link = None
            if customer is not None and customer.email:
                link = magic_link(
                    customer=customer, next_url=_safe_next(request, form.cleaned_data["next"])
                )
                _send_link(customer, customer.email, business.name, link)
                if settings.DEMO_MODE:
                    print(f"Magic link for {customer.email} ({business.slug}): {link}", flush=True)
            return render(
                request,
                "portal/link_sent.html",
                {
                    "business": business,
                    "email": email,
                    "demo_link": link if settings.DEMO_MODE else None,
                },
            )
    else:
        initial = {"next": request.GET.get("next", "")}
        if slug := request.GET.get("business"):
            initial["business"] = slug
        form = LinkRequestForm(initial=initial)
    return render(
        request, "portal/login.html", {"form": form}, status=422 if form.is_bound else 200
    )


def _send_link(customer: Customer, to: str, business_name: str, link: str) -> None:
    with translation.override(customer.language or "nl"):
        send_mail(
            header_value(_("Your login link for %(business)s") % {"business": business_name}),
            _(
                "Hello %(name)s,\n\nWith this link you log in to %(business)s; "
                "it works once, within 24 hours:\n\n%(link)s\n\n"
                "Did you not ask for it? Then you can ignore this e-mail."
            )
            % {"name": customer.name, "business": business_name, "link": link},
            settings.DEFAULT_FROM_EMAIL,
            [to],
        )


def magic(request: HttpRequest) -> HttpResponse:
    """The link's landing page: log the customer in once, then go on."""
    # login() below moves last_login, which is what invalidates a one-time token.
    user: Any = get_user(request, update_last_login=False)
    customer = customer_of(user) if user is not None else None
    if customer is None:
        return render(request, "portal/link_invalid.html", status=403)
    auth_login(request, user)
    target = _safe_next(request, request.GET.get("next")) or reverse("portal:home")
    return _with_language(redirect(target), customer.language)


# --- my needs --------------------------------------------------------------------


def _render_home(
    request: HttpRequest, me: Customer, form: NeedForm | None = None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "portal/home.html",
        {
            "me": me,
            "nav": "home",
            "page": page_of(request, selectors.needs_of_customer(customer=me)),
            "form": form or NeedForm(),
        },
        status=status,
    )


@customer_page
def home(request: HttpRequest, me: Customer) -> HttpResponse:
    return _render_home(request, me)


@require_POST
@customer_page
def need_new(request: HttpRequest, me: Customer) -> HttpResponse:
    form = NeedForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            need = services.need_open(customer=me, **form.cleaned_data)
        except DomainError as exc:
            show_error(form, exc)
            status = exc.status
        else:
            messages.success(
                request,
                _("Thank you. %(name)s helps you with this.") % {"name": need.owner.name},
            )
            return redirect("portal:need", need.pk)
    return _render_home(request, me, form, status)


def _need(me: Customer, need_id: int) -> Need:
    try:
        return selectors.need_for_customer(customer=me, need_id=need_id)
    except NotFound:
        raise Http404 from None


def _need_context(me: Customer, need: Need, **bound: Any) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "me": me,
        "need": need,
        "events": list(selectors.timeline(need=need, for_customer=True)),
        "message_form": MessageForm(),
        "reopen_form": ReopenForm(),
        "cancel_form": CancelForm(),
        "community": need_panel(me, need),
    }
    ctx.update(bound)
    return ctx


def _render_need(
    request: HttpRequest, me: Customer, need: Need, status: int = 200, **bound: Any
) -> HttpResponse:
    return render(request, "portal/need.html", _need_context(me, need, **bound), status=status)


@customer_page
def need(request: HttpRequest, me: Customer, need_id: int) -> HttpResponse:
    return _render_need(request, me, _need(me, need_id))


@require_POST
@customer_page
def need_message(request: HttpRequest, me: Customer, need_id: int) -> HttpResponse:
    need = _need(me, need_id)
    form = MessageForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            services.message_post_by_customer(
                customer=me, need=need, body=form.cleaned_data["body"]
            )
        except DomainError as exc:
            show_error(form, exc)
            status = exc.status
        else:
            if is_htmx(request):
                ctx = _need_context(me, _need(me, need_id))
                return render(request, "portal/partials/message_posted.html", ctx)
            messages.success(request, _("Sent to %(name)s.") % {"name": need.owner.name})
            return redirect(reverse("portal:need", args=[need.pk]) + "#timeline")
    if is_htmx(request):
        return render(
            request,
            "portal/partials/message_form.html",
            {"need": need, "message_form": form},
            status=status,
        )
    return _render_need(request, me, need, status, message_form=form)


@require_POST
@customer_page
def need_confirm(request: HttpRequest, me: Customer, need_id: int) -> HttpResponse:
    need = _need(me, need_id)
    try:
        services.resolution_confirm(customer=me, need=need)
    except DomainError as exc:
        return _render_need(request, me, need, exc.status, top_error=exc.message)
    messages.success(request, _("Thank you for confirming. This need is solved."))
    return redirect("portal:need", need.pk)


@require_POST
@customer_page
def need_reopen(request: HttpRequest, me: Customer, need_id: int) -> HttpResponse:
    need = _need(me, need_id)
    form = ReopenForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            services.need_reopen(customer=me, need=need, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            show_error(form, exc)
            status = exc.status
        else:
            messages.success(
                request,
                _("Reopened. %(name)s picks it up again.") % {"name": need.owner.name},
            )
            return redirect("portal:need", need.pk)
    return _render_need(request, me, need, status, reopen_form=form)


@require_POST
@customer_page
def need_cancel(request: HttpRequest, me: Customer, need_id: int) -> HttpResponse:
    need = _need(me, need_id)
    form = CancelForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            services.need_cancel(customer=me, need=need, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            show_error(form, exc)
            status = exc.status
        else:
            messages.success(request, _("Withdrawn. Nobody will work on it any more."))
            return redirect("portal:need", need.pk)
    return _render_need(request, me, need, status, cancel_form=form)


# --- my details ------------------------------------------------------------------


@customer_page
def profile(request: HttpRequest, me: Customer) -> HttpResponse:
    """See and correct my own record (R11); the journal keeps what changed."""
    status = 200
    if request.method == "POST":
        form = ProfileForm(request.POST)
        status = 422
        if form.is_valid():
            try:
                updated = customer_update(customer=me, actor_customer=me, **form.changes())
            except DomainError as exc:
                show_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Your details are saved."))
                return _with_language(redirect("portal:profile"), updated.language)
    else:
        form = ProfileForm(
            initial={
                "name": me.name,
                "email": me.email or "",
                "phone": me.phone,
                "language": me.language,
            }
        )
    return render(
        request, "portal/profile.html", {"me": me, "nav": "profile", "form": form}, status=status
    )
