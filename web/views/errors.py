"""Error pages for people: unknown links and expired forms answer a page in the
reader's language; the API (``/api/``) keeps its JSON envelope.

``/s/{share_code}`` is the API's view (``voting.api.traffic.ShareRedirectView``, in the
OpenAPI schema); a browser following an unknown or withdrawn share link gets the site's
404 page instead of JSON.
"""

from functools import wraps

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from voting.api import support
from voting.api.traffic import ShareRedirectView
from web.views.common import not_found

_API_PREFIXES = ("/api/",)


def _wants_html(request) -> bool:
    return "text/html" in request.headers.get("Accept", "")


def page_not_found(request, exception=None):
    """handler404 (config/urls.py)."""
    if request.path.startswith(_API_PREFIXES) or (
        request.path.startswith("/s/") and not _wants_html(request)
    ):
        return support.page_not_found(request, exception)
    return not_found(request)


def server_error(request):
    """handler500: the API's envelope under /api/, a plain page elsewhere (rendered
    without context processors: the failure may be in what they read)."""
    if request.path.startswith(_API_PREFIXES):
        return support.server_error(request)
    return HttpResponseServerError(loader.render_to_string("web/server_error.html"))


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: an expired or foreign form says so in the reader's language."""
    return render(request, "web/csrf_failure.html", status=403)


_api_share_redirect = ShareRedirectView.as_view()


@wraps(_api_share_redirect)  # keeps .cls: the schema still documents /s/{share_code}
def share_redirect(request, share_code: str):
    response = _api_share_redirect(request, share_code=share_code)
    if response.status_code == 404 and _wants_html(request):
        return not_found(request)
    return response
