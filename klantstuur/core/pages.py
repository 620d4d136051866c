"""Helpers both page interfaces (console and portal) share.

Nothing here decides anything: services decide, these only translate their
answers into pages.
"""

from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

from klantstuur.core.errors import DomainError

PAGE_SIZE = 25


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
