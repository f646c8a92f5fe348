"""Template helpers of the student site."""

from django import template
from django.utils import formats, timezone

register = template.Library()


@register.simple_tag(takes_context=True)
def absolute(context, url: str | None) -> str:
    """An absolute URL for og: tags (share cards need scheme and host)."""
    request = context.get("request")
    if not url or request is None:
        return url or ""
    return request.build_absolute_uri(url)


@register.filter
def beijing(value) -> str:
    """A moment as "month day HH:MM" in the site's zone (Asia/Shanghai), localised
    ("12月3日 20:00", "December 3 20:00"); pages say "Beijing time" beside it."""
    if not value:
        return ""
    local = timezone.localtime(value)
    return f"{formats.date_format(local, 'MONTH_DAY_FORMAT')}\u00a0{local:%H:%M}"
