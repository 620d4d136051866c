"""Demo story: history (filled in by its issue)."""

from .context import DemoContext


def load(ctx: DemoContext) -> None:
    """Add this story to the demo, through the services."""
