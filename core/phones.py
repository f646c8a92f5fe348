"""Phone numbers as students type them, normalised to E.164.

Voters sign in with a Chinese mobile number; rosters and the app backend send the same
numbers in whatever shape a spreadsheet or a phone keyboard produced. Everything that
stores or compares a phone goes through ``phone_normalize`` so that "138 0013 8000",
"+86-138-0013-8000" and a full-width "１３８００１３８０００" are one voter.
"""

import re
import unicodedata

from django.utils.translation import gettext as _

# Mainland mobile numbers: 11 digits, "1" then 3-9. Landlines cannot receive the code.
_MOBILE = re.compile(r"1[3-9]\d{9}")
# Separators people type or spreadsheets keep: spaces (incl. NBSP after NFKC), dashes,
# dots, parentheses.
_SEPARATORS = re.compile(r"[\s\-.()\u2010-\u2015]")
_MAX_INPUT = 40


class InvalidPhone(ValueError):
    """Not a Chinese mobile number. The message is safe to show to the user."""


def phone_normalize(raw: object) -> str:
    """Return the E.164 form (``+8613800138000``) of a Chinese mobile number.

    Accepts the number with or without ``+86``/``0086``/``86``, with spaces, dashes and
    full-width digits; anything else raises ``InvalidPhone`` (a ``ValueError``).
    """
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)  # spreadsheets hand phones over as numbers
    if not isinstance(raw, str) or not raw or len(raw) > _MAX_INPUT:
        raise InvalidPhone(_("Enter a Chinese mobile phone number."))
    # NFKC folds full-width digits and "＋" into ASCII.
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))
    if text.startswith("+"):
        if not text.startswith("+86"):
            raise InvalidPhone(_("Only Chinese mobile numbers (+86) are supported."))
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    if not text.isascii() or not _MOBILE.fullmatch(text):
        raise InvalidPhone(_("Enter a Chinese mobile phone number."))
    return "+86" + text


def phone_national(e164: str) -> str:
    """The 11-digit national form of a normalised number (how rosters often store it)."""
    return e164[3:] if e164.startswith("+86") else e164
