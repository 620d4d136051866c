"""Interfaces fetch through access gates and selectors, never through a model manager.

One object of a kind is fetched by its app's gate (``need_for_staff``, ``order_for_customer``,
``colleague_for_staff``, …), which refuses another business's or customer's object as not
found; lists come from selectors. So no module of the API, the console or the portal touches
``Model.objects`` or ``_default_manager``, nor calls ``get_object_or_404`` /
``get_list_or_404`` (which would answer 404 without the gate's rule).
"""

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import klantstuur
from klantstuur.businesses.selectors import colleague_for_staff
from klantstuur.core.errors import NotFound
from klantstuur.feedback.services import root_cause_create
from klantstuur.floor.selectors import section_for_staff
from klantstuur.floor.services import section_create
from klantstuur.needs.root_causes import root_cause_for_staff

ROOT = Path(klantstuur.__file__).parent
INTERFACES = ("api", "console", "portal")
MANAGERS = {"objects", "_default_manager"}
SHORTCUTS = {"get_object_or_404", "get_list_or_404"}

# (file relative to klantstuur/, line) of a use that truly cannot go through a gate, with why.
# Empty: everything goes through one.
ALLOWED: set[tuple[str, int]] = set()


def violations(source: str, filename: str) -> list[str]:
    """Every manager access or 404 shortcut in the source, as ``file:line: what``."""
    found = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Attribute) and node.attr in MANAGERS:
            found.append((node.lineno, f".{node.attr}"))
        elif isinstance(node, ast.Name) and node.id in SHORTCUTS:
            found.append((node.lineno, node.id))
        elif isinstance(node, ast.Attribute) and node.attr in SHORTCUTS:
            found.append((node.lineno, node.attr))
        elif isinstance(node, ast.ImportFrom):
            found += [(node.lineno, a.name) for a in node.names if a.name in SHORTCUTS]
    return [
        f"{filename}:{line}: {what}"
        for line, what in sorted(set(found))
        if (filename, line) not in ALLOWED
    ]


def interface_modules() -> list[Path]:
    return sorted(p for name in INTERFACES for p in (ROOT / name).rglob("*.py"))


def test_interfaces_fetch_only_through_gates_and_selectors() -> None:
    modules = interface_modules()
    assert len(modules) > 20  # the walk found the interfaces
    problems = [
        problem
        for path in modules
        for problem in violations(path.read_text(), str(path.relative_to(ROOT)))
    ]
    assert not problems, "Fetch through an access gate or a selector instead:\n" + "\n".join(
        problems
    )


def test_the_check_finds_what_it_forbids() -> None:
    source = """
from django.shortcuts import get_object_or_404, render
from klantstuur.needs.models import Need
from django import shortcuts

def view(request, need_id):
    need = Need.objects.filter(pk=need_id).first()
    other = Need._default_manager.get(pk=need_id)
    third = get_object_or_404(Need, pk=need_id)
    many = shortcuts.get_list_or_404(Need)
    return render(request, "x.html", {"objects": [need, other, third, many]})
"""
    assert violations(source, "console/example.py") == [
        "console/example.py:2: get_object_or_404",
        "console/example.py:7: .objects",
        "console/example.py:8: ._default_manager",
        "console/example.py:9: get_object_or_404",
        "console/example.py:10: get_list_or_404",
    ]


def test_the_check_leaves_gates_and_plain_names_alone() -> None:
    source = """
from klantstuur.needs.selectors import need_for_staff

def view(request, me, need_id):
    objects = [need_for_staff(staff=me, need_id=need_id)]
    return {"objects": objects}
"""
    assert violations(source, "console/example.py") == []


# --- the gates added for this rule: their own business's object, nobody else's -------------


def test_a_gate_lets_through_my_business_and_nobody_elses(world: Any) -> None:
    me = world.manager
    assert colleague_for_staff(staff=me, colleague_id=world.owner.pk) == world.owner
    ours = section_create(business=world.x, name="Terras")
    theirs = section_create(business=world.y, name="Terras")
    assert section_for_staff(staff=me, section_id=ours.pk) == ours
    cause = root_cause_create(staff=me, name="Late delivery")
    assert root_cause_for_staff(staff=me, root_cause_id=cause.pk) == cause
    refused: list[Callable[[], object]] = [
        lambda: colleague_for_staff(staff=me, colleague_id=world.stranger.pk),
        lambda: section_for_staff(staff=me, section_id=theirs.pk),
        lambda: root_cause_for_staff(staff=world.stranger, root_cause_id=cause.pk),
        lambda: root_cause_for_staff(staff=me, root_cause_id=0),
    ]
    for fetch in refused:
        with pytest.raises(NotFound) as caught:
            fetch()
        assert caught.value.status == 404
