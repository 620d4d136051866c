"""Models to API shapes. Plain functions: the shapes are the contract."""

from typing import Any

from klantstuur.businesses.models import StaffMember
from klantstuur.customers.models import Customer
from klantstuur.needs.models import Handoff, JournalEvent, Need, Remedy


def person(staff: StaffMember) -> dict[str, Any]:
    return {"id": staff.pk, "name": staff.name}


def need_out(need: Need) -> dict[str, Any]:
    promise = None
    if need.promise_due_at or need.promise_text:
        promise = {"due_at": need.promise_due_at, "text": need.promise_text}
    return {
        "id": need.pk,
        "customer_id": need.customer_id,
        "kind": need.kind,
        "summary": need.summary,
        "goal": need.goal,
        "status": need.status,
        "owner": person(need.owner),
        "promise": promise,
        "created_at": need.created_at,
        "updated_at": need.updated_at,
        "contacts": need.contacts,
        "handoffs": need.handoffs,
        "reopens": need.reopens,
        "experience_index": need.experience_index,
        "resolution_summary": need.resolution_summary,
        "proposed_at": need.proposed_at,
        "autoconfirm_at": need.autoconfirm_at,
        "solved_at": need.solved_at,
        "waiting_since": need.waiting_since,
    }


def event_out(event: JournalEvent) -> dict[str, Any]:
    actor_id = event.actor_staff_id or event.actor_customer_id
    return {
        "id": event.pk,
        "kind": event.kind,
        "at": event.at,
        "actor": {"kind": event.actor_kind, "id": actor_id, "name": event.actor_name},
        "visible_to_customer": event.visible_to_customer,
        "data": event.data,
    }


def handoff_out(handoff: Handoff, *, owner: StaffMember) -> dict[str, Any]:
    return {
        "id": handoff.pk,
        "need_id": handoff.need_id,
        "status": handoff.status,
        "from_staff": person(handoff.from_staff),
        "to_staff": person(handoff.to_staff),
        "reason": handoff.reason,
        "created_at": handoff.created_at,
        "expires_at": handoff.expires_at,
        "answered_at": handoff.answered_at,
        "answer_reason": handoff.answer_reason,
        "owner": person(owner),
    }


def remedy_out(remedy: Remedy) -> dict[str, Any]:
    return {
        "id": remedy.pk,
        "need_id": remedy.need_id,
        "kind": remedy.kind,
        "amount_cents": remedy.amount_cents,
        "note": remedy.note,
        "granted_by": person(remedy.granted_by),
        "created_at": remedy.created_at,
    }


def customer_out(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.pk,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "language": customer.language,
        "created_at": customer.created_at,
    }


def staff_out(staff: StaffMember) -> dict[str, Any]:
    return {
        "id": staff.pk,
        "name": staff.name,
        "email": staff.user.email,
        "role": staff.role,
        "authority_cents": staff.authority_cents,
        "on_duty": staff.on_duty,
    }
