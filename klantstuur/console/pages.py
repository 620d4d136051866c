"""Helpers both page interfaces (console and portal) share.

Nothing here decides anything: services decide, these only translate their
answers into pages.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from klantstuur.core.errors import DomainError

PAGE_SIZE = 25


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


@contextmanager
def business_time(name: str) -> Iterator[None]:
    """Show every date rendered inside in the business's time zone."""
    with timezone.override(zone(name)):
        yield


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def page_of(request: HttpRequest, qs: QuerySet[Any], size: int = PAGE_SIZE) -> Page:
    return Paginator(qs, size).get_page(request.GET.get("page"))


def show_error(form: forms.Form, exc: DomainError, fields: Mapping[str, str] | None = None) -> None:
    """Put a service's message beside the field it names, or on top of the form."""
    name = (fields or {}).get(exc.field or "", exc.field)
    if name not in form.fields:
        name = None
    form.add_error(name, exc.message)
