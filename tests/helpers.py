from django.utils.html import escape
from django.utils.translation import gettext, override


def page_text(response, msgid: str, **params) -> str:
    """A message as a page shows it: in the language the page was rendered in (zh-hans by
    default), with ``params`` filled in; not HTML-escaped."""
    language = response.headers.get("Content-Language", "zh-hans")
    with override(language):
        return gettext(msgid) % params if params else gettext(msgid)


def page_says(response, msgid: str, **params) -> bool:
    """Whether a page shows a message in the language it was rendered in (zh-hans by
    default), so tests check the translated text users actually read."""
    return escape(page_text(response, msgid, **params)) in response.content.decode()
