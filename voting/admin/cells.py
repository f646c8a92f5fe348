"""Change-list cells that keep the admin's lists within a 1366 px laptop (tests/browser/
test_moderation.py): long text truncated to a width, whole in its ``title``; local times
short. Styles in static/admin/css/moderation.css, which each list's ``Media`` loads."""

from datetime import datetime

from django.utils import timezone
from django.utils.html import format_html

LIST_CSS = {"all": ["admin/css/moderation.css"]}


def truncated(value, *, width: str = "m") -> str:
    """``value`` on at most two lines of a narrow (``s``), medium (``m``) or wide (``l``)
    column; the whole text on hover."""
    text = "" if value is None else str(value)
    if not text:
        return "—"
    return format_html('<span class="cell-truncate w-{}" title="{}">{}</span>', width, text, text)


def short_time(moment: datetime | None) -> str:
    """ "12-01 21:30" in local time (Asia/Shanghai); the year is in the date filter."""
    return f"{timezone.localtime(moment):%m-%d %H:%M}" if moment else "—"
