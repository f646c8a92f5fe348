"""The API's own error codes: what DRF and the server machinery refuse before or around a
service call (docs/api.md "Error codes").

Each is a ``DomainError`` like those of ``core/errors.py`` and ``voting/errors.py``:
a class that declares its ``code``, HTTP ``status`` and message. The exception handler
(``voting.api.support.exception_handler``) turns DRF's exceptions into these, and the
schema builds each operation's ``enum`` of codes from the classes the operation can
raise (``voting.api.schema.api_operation``), so a new code is one class and one entry
in the ``raises`` of the views that raise it.

``headers`` names the response headers that come with the error; the schema declares
them on the statuses of these classes.
"""

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError


class InvalidInput(DomainError):
    code = "invalid"
    status = 400
    default_message = _("The request is not valid.")


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    status = 401
    default_message = _("Authentication credentials were not provided.")
    headers = ("WWW-Authenticate",)


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    default_message = _("You may not do this.")


class MethodNotAllowed(DomainError):
    code = "method_not_allowed"
    status = 405
    default_message = _("This method is not allowed here.")
    headers = ("Allow",)


class NotAcceptable(DomainError):
    code = "not_acceptable"
    status = 406
    default_message = _("The Accept header asks for a type this endpoint does not send.")


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    status = 415
    default_message = _("The body's Content-Type is not one this endpoint reads.")


class Throttled(DomainError):
    code = "throttled"
    status = 429
    default_message = _("Too many requests; please slow down.")
    headers = ("Retry-After",)


class ServerError(DomainError):
    code = "server_error"
    status = 500
    default_message = _("Something went wrong on our side.")


class Unavailable(DomainError):
    code = "unavailable"
    status = 503
    default_message = _("The service is busy; please retry.")
    headers = ("Retry-After",)
