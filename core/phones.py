"""Phone numbers as students type them, normalised to E.164: the one stored form.

Voters sign in with a Chinese mobile number; rosters, the admin and the app backend send
the same numbers in whatever shape a spreadsheet or a phone keyboard produced. Everything
that stores or compares a phone goes through ``phone_normalize`` (or ``PhoneField``, which
calls it whenever a model is cleaned) so that "138 0013 8000", "+86-138-0013-8000" and a
full-width "１３８００１３８０００" are one person, and exclusions compare exact values.

Parsing and validation are Google's libphonenumber (the ``phonenumbers`` package): it
knows the international prefixes ("0086", "+86", a bare "86"), and its metadata, updated
with every release, knows which mobile ranges are allocated, so a number no SMS can reach
is refused before a code is paid for (docs/metrics.md "One phone form").
"""

import re
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# What people type or spreadsheets keep around the digits, after NFKC: spaces (NBSP
# included), dashes, dots, parentheses and "+". Anything else (letters, an
# extension, other scripts' digits) is refused before the library, which would accept
# "ext." suffixes and Arabic-Indic digits that our users never type.
# One "+" at most, only in front (the API schema's phone pattern says the same).
_ALLOWED = re.compile(r"[\s\-.()]*\+?[\d\s\-.()]+")
# The dashes of other keyboards (hyphen, en and em dash, ...), which NFKC keeps.
_DASHES = str.maketrans(dict.fromkeys(range(0x2010, 0x2016), "-"))
_MAX_INPUT = 40
_MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


class InvalidPhone(ValueError):
    """Not a Chinese mobile number. The message is safe to show to the user."""


def phone_normalize(raw: object) -> str:
    """Return the E.164 form (``+8613800138000``) of a Chinese mobile number.

    Accepts the number with or without ``+86``/``0086``/``86``, with spaces, dashes and
    full-width digits; anything else raises ``InvalidPhone`` (a ``ValueError``).
    """
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)  # spreadsheets hand phones over as numbers
    if not isinstance(raw, str) or not raw.strip() or len(raw) > _MAX_INPUT:
        raise InvalidPhone(_("Enter a Chinese mobile phone number."))
    # NFKC folds full-width digits and "＋" into ASCII.
    text = unicodedata.normalize("NFKC", raw).translate(_DASHES).strip()
    if not text.isascii() or not _ALLOWED.fullmatch(text):
        raise InvalidPhone(_("Enter a Chinese mobile phone number."))
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(_("Enter a Chinese mobile phone number.")) from exc
    if number.country_code != 86:
        raise InvalidPhone(_("Only Chinese mobile numbers (+86) are supported."))
    if not phonenumbers.is_valid_number(number) or (
        phonenumbers.number_type(number) not in _MOBILE_TYPES
    ):
        raise InvalidPhone(_("Enter a Chinese mobile phone number."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_national(e164: str) -> str:
    """The 11-digit national form of a normalised number (how rosters often store it)."""
    return e164[3:] if e164.startswith("+86") else e164


class PhoneField(models.CharField):
    """A phone stored in E.164 whatever was typed: ``full_clean()`` (every model form,
    the admin's included) normalises the value or reports why it is not a phone, and
    every save normalises it too. Blank stays blank where the field allows it."""

    description = gettext_lazy("Phone number (E.164)")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        try:
            return phone_normalize(value)
        except InvalidPhone as exc:
            raise ValidationError(str(exc), code="invalid_phone") from exc

    def pre_save(self, model_instance, add):
        # Every save (and bulk_create) stores the E.164 form of a readable phone, also
        # where nothing cleaned the model first (seeders, scripts); a value that is not a
        # phone is left for ``full_clean`` to report.
        value = getattr(model_instance, self.attname)
        if value not in self.empty_values:
            try:
                value = phone_normalize(value)
            except InvalidPhone:
                return value
            setattr(model_instance, self.attname, value)
        return value

    def get_prep_value(self, value):
        # CharField would run ``to_python`` on every saved and looked-up value: a lookup
        # with a non-phone must find nothing, not raise. Writes are cleaned before.
        value = models.Field.get_prep_value(self, value)
        return value if value is None else str(value)

    def formfield(self, **kwargs):
        # Room for the spellings people type ("+86 138 0013 8000"); stored as E.164.
        kwargs.setdefault("max_length", _MAX_INPUT)
        return super().formfield(**kwargs)
