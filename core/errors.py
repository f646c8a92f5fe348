"""Domain errors. Every service raises these; the API's exception handler maps ``code`` and
``status`` to the ``{"error": {"code", "message"}}`` envelope of docs/contract.md, and
admin shows the message."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "invalid"
    status = 400
    default_message = _("The request is not valid.")

    def __init__(self, message: str | None = None) -> None:
        self.message = str(message or self.default_message)
        super().__init__(self.message)


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = _("Not found.")


class InvalidImage(DomainError):
    code = "invalid_image"
    status = 400
    default_message = _("Upload a JPEG, PNG or WebP photo.")
