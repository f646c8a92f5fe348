"""System checks of the voting app (``manage.py check --deploy``)."""

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Warning


def check_site_url(app_configs=None, **kwargs) -> list[Warning]:
    """Share posters print SITE_URL in their QR codes: a development default in
    production would send every scan to the scanner's own phone."""
    parts = urlsplit(settings.SITE_URL)
    if parts.scheme in ("http", "https") and parts.hostname not in (
        None,
        "localhost",
        "127.0.0.1",
        "::1",
    ):
        return []
    return [
        Warning(
            f"SITE_URL is {settings.SITE_URL!r}: the QR codes on share posters point there.",
            hint="Set SITE_URL to the public https://host of this site.",
            id="voting.W001",
        )
    ]


def check_shared_cache(app_configs=None, **kwargs) -> list[Warning]:
    """Several web processes need one cache: the API's throttles count in it, as does
    the de-duplication of visits."""
    backend = settings.CACHES["default"]["BACKEND"]
    if not backend.endswith(("LocMemCache", "DummyCache")):
        return []
    return [
        Warning(
            "The default cache is per process: each web process counts the API's "
            "throttles and de-duplicates visits on its own.",
            hint="Set CACHE_URL to a shared cache, e.g. redis://host:6379/1.",
            id="voting.W002",
        )
    ]


def warn_at_start_up() -> None:
    """Log the shared-cache warning when a production process starts (gunicorn runs no
    system checks, and ``check --deploy`` is easy to forget): with a per-process cache
    each gunicorn worker keeps its own throttle counts, so the per-IP and per-phone
    limits multiply by the number of workers."""
    if settings.DEBUG:
        return
    for warning in check_shared_cache():
        logging.getLogger("voting.checks").warning(
            "%s %s (%s)", warning.msg, warning.hint, warning.id
        )
