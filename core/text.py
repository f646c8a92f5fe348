"""Short display text typed by people we do not know (entry names, captions, titles):
what may be stored, and what is safe to draw.

A line break in a contestant's name used to make the share poster fail (Pillow measures
one line at a time: "can't measure length of multiline text", and a lone CR makes raqm's
layout fail), in the API, in admin and in the poster task alike. So names are checked at
input (``validate_single_line``) and drawn text is made one line whatever is stored
(``single_line``), for rows stored before the check and for imports.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Bidirectional overrides and isolates: they reorder what follows them ("\u202egnp.exe"
# shows as "exe.png"), a classic way to disguise a name.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Control characters (C0, DEL, C1), line and paragraph separators, lone surrogates (not
# encodable: PostgreSQL would refuse the row) and private-use code points.
_BAD_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs", "Co"})
_SPACES = re.compile(r"\s+")


def is_control(char: str) -> bool:
    return char in _BIDI_CONTROLS or unicodedata.category(char) in _BAD_CATEGORIES


def single_line(text: str) -> str:
    """``text`` as one line to draw: every control character, line break or separator
    becomes a space, runs of spaces one space, ends trimmed."""
    cleaned = "".join(" " if is_control(char) else char for char in str(text or ""))
    return _SPACES.sub(" ", cleaned).strip()


def validate_single_line(value: str) -> None:
    """A validator (Django forms, DRF serializers) for names: one line of printable text."""
    if any(is_control(char) for char in str(value)):
        raise ValidationError(
            _("Use one line of text, without line breaks or control characters."),
            code="control_characters",
        )


def validate_text_block(value: str) -> None:
    """For captions: line breaks are fine, other control characters are not."""
    if any(is_control(char) for char in str(value).replace("\r\n", "\n") if char != "\n"):
        raise ValidationError(
            _("Remove the control characters from this text."), code="control_characters"
        )
