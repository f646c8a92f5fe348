"""URL slugs from titles typed in Chinese, English or both.

Django's ``slugify`` (and the admin's prepopulated-field script) drop every Chinese
character, so "最美跑者" gave an empty slug. Chinese is read as pinyin first (pypinyin,
https://pypinyin.readthedocs.io/, whose phrase dictionary reads 重庆 as "chong qing",
where a character table says "zhong qing"), one syllable per hyphen; everything else goes
through ``slugify``, which drops what it cannot spell in ASCII (emoji, symbols).
"""

from django.utils.text import slugify
from pypinyin import Style, lazy_pinyin


def slug_from_text(text: str, *, max_length: int) -> str:
    """``"2026 重庆最美跑者 🏃"`` → ``"2026-chong-qing-zui-mei-pao-zhe"``; ``""`` when
    nothing in ``text`` can be spelled in ASCII. Cut at a hyphen to fit ``max_length``."""
    # NORMAL style: no tone marks, ü as "v" (lv, nv), so the result is plain ASCII.
    parts = lazy_pinyin(text or "", style=Style.NORMAL, errors="default")
    slug = slugify(" ".join(parts))
    if len(slug) <= max_length:
        return slug
    cut = slug[: max_length + 1]
    # A whole syllable or word, never half of one (unless the first is itself too long).
    return cut[: cut.rfind("-")] if "-" in cut else slug[:max_length]
