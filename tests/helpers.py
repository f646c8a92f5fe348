from django.utils.html import escape
from django.utils.translation import gettext, override


def page_says(response, msgid: str, **params) -> bool:
    """Whether a page shows a message in the language it was rendered in (zh-hans by
    default), so tests check the translated text users actually read."""
    language = response.headers.get("Content-Language", "zh-hans")
    with override(language):
        text = gettext(msgid) % params if params else gettext(msgid)
    return escape(text) in response.content.decode()
