"""The staff console: thin views that parse, call one service, and render.

Every form works as a plain POST with a redirect after success (no JS needed);
the reply and internal-note forms also answer htmx with fragments.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from klantstuur.businesses.models import OWNER_ROLES, StaffMember
from klantstuur.businesses.selectors import staff_of_business
from klantstuur.core import throttle
from klantstuur.core.errors import DomainError, NotFound
from klantstuur.core.pages import is_htmx, page_of, show_error
from klantstuur.feedback.templatetags.feedback import parse_root_cause_id
from klantstuur.needs import selectors, services
from klantstuur.needs.models import Handoff, Need, NeedStatus

from .access import staff_page
from .community.views import need_panel
from .forms import (
    DeclineForm,
    HandoffOfferForm,
    NeedFilterForm,
    NoteForm,
    RemedyForm,
    ReplyForm,
    ResolutionForm,
    StaffLoginForm,
)

_login = auth_views.LoginView.as_view(
    template_name="console/login.html", authentication_form=StaffLoginForm
)


def login(request: HttpRequest) -> HttpResponseBase:
    """Django's login page, with wrong passwords counted per address typed and per client
    address: past the limit even the right one waits (issue #15)."""
    if request.method != "POST":
        return _login(request)
    keys = [
        ("staff-login-user", request.POST.get("username", "")),
        ("staff-login-ip", throttle.client_ip(request)),
    ]
    if waits := [s for name, value in keys if (s := throttle.wait(name, value)) is not None]:
        return throttle.page(request, max(waits))
    response = _login(request)
    if response.status_code != 302:  # the form again: the password was wrong
        for name, value in keys:
            throttle.hit(name, value)
    return response


logout = auth_views.LogoutView.as_view(next_page="console:login")


def _need(me: StaffMember, need_id: int) -> Need:
    try:
        return selectors.need_for_staff(staff=me, need_id=need_id)
    except NotFound:
        raise Http404 from None


def _handoff(me: StaffMember, handoff_id: int) -> Handoff:
    try:
        return selectors.handoff_for_staff(staff=me, handoff_id=handoff_id)
    except NotFound:
        raise Http404 from None


def _need_url(need_id: int, anchor: str = "") -> str:
    return reverse("console:need", args=[need_id]) + (f"#{anchor}" if anchor else "")


# --- Mijn klanten ------------------------------------------------------------------


@staff_page
def home(request: HttpRequest, me: StaffMember) -> HttpResponse:
    return _render_home(request, me)


def _render_home(
    request: HttpRequest,
    me: StaffMember,
    *,
    top_error: str = "",
    bound: dict[int, DeclineForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    bound = bound or {}
    offers = [
        (h, bound.get(h.pk) or DeclineForm()) for h in selectors.handoffs_offered_to(staff=me)
    ]
    return render(
        request,
        "console/home.html",
        {
            "me": me,
            "nav": "home",
            "offers": offers,
            "page": page_of(request, selectors.needs_owned_by(staff=me)),
            "top_error": top_error,
        },
        status=status,
    )


@staff_page
def needs(request: HttpRequest, me: StaffMember) -> HttpResponse:
    """All needs of my business, filtered by status and owner."""
    staff = staff_of_business(business_id=me.business_id).filter(role__in=OWNER_ROLES)
    form = NeedFilterForm(request.GET or None, staff=staff)
    status, owner_id = None, None
    if form.is_bound and form.is_valid():
        status = form.cleaned_data["status"] or None
        owner = form.cleaned_data["owner"]
        owner_id = owner.pk if owner else None
    qs = selectors.needs_for_business(
        business_id=me.business_id, status=status, owner_id=owner_id
    ).select_related("customer")
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "console/needs.html",
        {
            "me": me,
            "nav": "needs",
            "form": form,
            "page": page_of(request, qs),
            "query": query.urlencode(),
        },
        status=200 if not form.is_bound or form.is_valid() else 422,
    )


# --- one need --------------------------------------------------------------------


OWNER_FORMS = ("handoff_form", "remedy_form", "resolution_form")


def _need_context(me: StaffMember, need: Need, **bound: Any) -> dict[str, Any]:
    is_owner = need.owner_id == me.pk
    ctx: dict[str, Any] = {
        "me": me,
        "need": need,
        "is_owner": is_owner,
        "handoff": selectors.open_handoff_for_need(need=need),
        "events": list(selectors.timeline(need=need, for_customer=False)),
        "reply_form": ReplyForm(),
        "note_form": NoteForm(),
        "decline_form": DeclineForm(),
        "community": need_panel(me, need),
    }
    if is_owner and need.is_active:
        ctx["handoff_form"] = HandoffOfferForm(colleagues=selectors.colleagues(staff=me))
        ctx["remedy_form"] = RemedyForm()
        if need.status == NeedStatus.OPEN:
            ctx["resolution_form"] = ResolutionForm()
    ctx.update(bound)
    return ctx


def _render_need(
    request: HttpRequest, me: StaffMember, need: Need, status: int = 200, **bound: Any
) -> HttpResponse:
    ctx = _need_context(me, need, **bound)
    if not (ctx["is_owner"] and need.is_active):
        # An owner-only form posted by someone else is not on their page: say why on top.
        refused = [e for key in OWNER_FORMS if key in bound for e in bound[key].non_field_errors()]
        ctx["action_error"] = " ".join(refused)
    return render(request, "console/need.html", ctx, status=status)


@staff_page
def need(request: HttpRequest, me: StaffMember, need_id: int) -> HttpResponse:
    return _render_need(request, me, _need(me, need_id))


def _post_message(
    request: HttpRequest, me: StaffMember, need_id: int, *, internal: bool
) -> HttpResponse:
    need = _need(me, need_id)
    form: ReplyForm | NoteForm = NoteForm(request.POST) if internal else ReplyForm(request.POST)
    key = "note_form" if internal else "reply_form"
    status = 422
    if form.is_valid():
        try:
            services.message_post_by_staff(
                staff=me, need=need, body=form.cleaned_data["body"], internal=internal
            )
        except DomainError as exc:
            show_error(form, exc)
            status = exc.status
        else:
            if is_htmx(request):
                ctx = _need_context(me, _need(me, need_id))
                ctx["form"] = ctx[key]
                ctx["internal"] = internal
                return render(request, "console/partials/message_posted.html", ctx)
            messages.success(request, _("Note saved.") if internal else _("Reply sent."))
            return redirect(_need_url(need.pk, "timeline"))
    if is_htmx(request):
        return render(
            request,
            "console/partials/message_form.html",
            {"need": need, "form": form, "internal": internal},
            status=status,
        )
    return _render_need(request, me, need, status, **{key: form})


@require_POST
@staff_page
def need_reply(request: HttpRequest, me: StaffMember, need_id: int) -> HttpResponse:
    return _post_message(request, me, need_id, internal=False)


@require_POST
@staff_page
def need_note(request: HttpRequest, me: StaffMember, need_id: int) -> HttpResponse:
    return _post_message(request, me, need_id, internal=True)


@require_POST
@staff_page
def need_handoff(request: HttpRequest, me: StaffMember, need_id: int) -> HttpResponse:
    need = _need(me, need_id)
    form = HandoffOfferForm(request.POST, colleagues=selectors.colleagues(staff=me))
    status = 422
    if form.is_valid():
        try:
            handoff = services.handoff_offer(
                staff=me,
                need=need,
                to_staff=form.cleaned_data["to_staff"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            show_error(form, exc, {"to_staff_id": "to_staff"})
            status = exc.status
        else:
            messages.success(
                request,
                _("Offered to %(name)s. You stay the owner until they accept.")
                % {"name": handoff.to_staff.name},
            )
            return redirect(_need_url(need.pk))
    return _render_need(request, me, need, status, handoff_form=form)


@require_POST
@staff_page
def need_remedy(request: HttpRequest, me: StaffMember, need_id: int) -> HttpResponse:
    need = _need(me, need_id)
    form = RemedyForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            services.remedy_grant(
                staff=me,
                need=need,
                kind=form.cleaned_data["kind"],
                amount_cents=form.cleaned_data["amount"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            show_error(form, exc, {"amount_cents": "amount"})
            status = exc.status
        else:
            messages.success(request, _("Remedy granted."))
            return redirect(_need_url(need.pk, "timeline"))
    return _render_need(request, me, need, status, remedy_form=form)


@require_POST
@staff_page
def need_resolve(request: HttpRequest, me: StaffMember, need_id: int) -> HttpResponse:
    need = _need(me, need_id)
    form = ResolutionForm(request.POST)
    root_cause_id = parse_root_cause_id(request.POST.get("root_cause_id"))
    root_cause_error = ""
    status = 422
    if form.is_valid():
        try:
            services.resolution_propose(
                staff=me,
                need=need,
                summary=form.cleaned_data["summary"],
                root_cause_id=root_cause_id,
            )
        except DomainError as exc:
            if exc.field == "root_cause_id":
                root_cause_error = exc.message
            else:
                show_error(form, exc)
            status = exc.status
        else:
            messages.success(request, _("Resolution proposed; the customer is asked to confirm."))
            return redirect(_need_url(need.pk))
    return _render_need(
        request,
        me,
        need,
        status,
        resolution_form=form,
        root_cause_error=root_cause_error,
        root_cause_selected=root_cause_id,
    )


# --- handoffs offered to me ------------------------------------------------------


def _handoff_refused(
    request: HttpRequest,
    me: StaffMember,
    handoff: Handoff,
    exc: DomainError | None,
    form: DeclineForm | None = None,
    status: int = 422,
) -> HttpResponse:
    if exc is not None:
        status = exc.status
        if form is not None:
            show_error(form, exc)
    message = exc.message if exc is not None and form is None else ""
    if request.POST.get("from") == "need":
        need = _need(me, handoff.need_id)
        return _render_need(
            request, me, need, status, handoff_error=message, decline_form=form or DeclineForm()
        )
    return _render_home(
        request, me, top_error=message, bound={handoff.pk: form} if form else None, status=status
    )


@require_POST
@staff_page
def handoff_accept(request: HttpRequest, me: StaffMember, handoff_id: int) -> HttpResponse:
    handoff = _handoff(me, handoff_id)
    try:
        need = services.handoff_accept(staff=me, handoff=handoff)
    except DomainError as exc:
        return _handoff_refused(request, me, handoff, exc)
    messages.success(request, _("You now own this need."))
    return redirect(_need_url(need.pk))


@require_POST
@staff_page
def handoff_decline(request: HttpRequest, me: StaffMember, handoff_id: int) -> HttpResponse:
    handoff = _handoff(me, handoff_id)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        return _handoff_refused(request, me, handoff, None, form)
    try:
        services.handoff_decline(staff=me, handoff=handoff, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        return _handoff_refused(request, me, handoff, exc, form)
    messages.success(
        request,
        _("Declined; %(name)s keeps the need.") % {"name": handoff.from_staff.name},
    )
    if request.POST.get("from") == "need":
        return redirect(_need_url(handoff.need_id))
    return redirect("console:home")
