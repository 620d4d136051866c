"""API v1: delivery."""

from ninja import Router

router = Router(tags=["delivery"])
