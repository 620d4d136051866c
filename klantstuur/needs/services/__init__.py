"""Every state change of a need: one function each, atomic, journaled.

Each function locks the need row first (``SELECT … FOR UPDATE`` on PostgreSQL;
SQLite's IMMEDIATE transactions serialize writers), reads it fresh, checks the
actor's authority and the transition table, then writes state and its journal
event (``needs.events``) in the same transaction.

One module per part of a need's life; callers use them through this package
(``from klantstuur.needs import services``; ``services.need_open``).
"""

from .handoffs import handoff_accept, handoff_decline, handoff_offer, handoffs_remind_and_expire
from .messages import message_post_by_customer, message_post_by_staff
from .opening import need_open, pick_owner
from .remedies import may_grant, remedy_grant
from .resolution import (
    need_cancel,
    need_reopen,
    resolution_confirm,
    resolution_propose,
    resolution_propose_on_behalf,
    resolutions_autoconfirm,
)

__all__ = [
    "handoff_accept",
    "handoff_decline",
    "handoff_offer",
    "handoffs_remind_and_expire",
    "may_grant",
    "message_post_by_customer",
    "message_post_by_staff",
    "need_cancel",
    "need_open",
    "need_reopen",
    "pick_owner",
    "remedy_grant",
    "resolution_confirm",
    "resolution_propose",
    "resolution_propose_on_behalf",
    "resolutions_autoconfirm",
]
