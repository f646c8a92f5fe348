"""Share posters for WeChat canvassing: the entry's photo, the contestant's name, the
campaign title and a QR code of the entry's ``/s/{share_code}`` link (docs/contract.md "Photos").

Drawing only — no models, no storage — so that what a poster shows can be tested on its
own; ``voting/services/photos.py`` decides when a poster is drawn and where it is kept.

The text is Chinese, so the font must have CJK glyphs: Debian's ``fonts-noto-cjk``
(installed by ``.ci/run`` and the README's setup) is found by path, or ``POSTER_FONT_PATH``
names another. Without one the poster is still drawn, with Pillow's default font and a
logged warning (Chinese characters then show as boxes: install the font).

WeChat forbids inducing shares with rewards ("分享得奖" and the like), so the poster asks
for a vote and nothing else; ``POSTER_TEXTS`` is all the fixed text it ever prints.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import segno
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_noop
from PIL import Image, ImageDraw, ImageFont, ImageOps

from core.text import single_line

logger = logging.getLogger(__name__)

# Bump when the layout changes: stored posters are named after a digest of their inputs
# and this version, so a new layout replaces them as they are next asked for.
POSTER_VERSION = 1
SIZE = (1080, 1620)
MARGIN = 60

# The poster's fixed text (translated into the site's language, zh-hans: "扫码为TA投票",
# "长按识别二维码", "分享码：…"). A call to vote, never a reward for sharing.
POSTER_TEXTS = (
    gettext_noop("Scan the code to vote for them"),
    gettext_noop("Long-press to recognise the QR code"),
    gettext_noop("Share code: %(code)s"),
)
CALL_TO_VOTE, LONG_PRESS, SHARE_CODE = POSTER_TEXTS

# Where Debian and other distributions put a CJK font, best first.
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)

BACKGROUND = (247, 244, 238)
BAND = (176, 30, 45)
INK = (33, 33, 33)
MUTED = (110, 110, 110)
WHITE = (255, 255, 255)


@dataclass(frozen=True)
class PosterFont:
    """A font file and face index; ``path`` None is Pillow's built-in fallback."""

    path: str | None
    index: int = 0
    bold_path: str | None = None
    bold_index: int = 0

    @property
    def label(self) -> str:
        """Identifies the font in a poster's digest (a new font redraws posters)."""
        return f"{self.path}#{self.index}" if self.path else "pillow-default"

    def get(self, size: int, *, bold: bool = False):
        if self.path is None:
            return ImageFont.load_default(size=size)
        if bold and self.bold_path:
            return ImageFont.truetype(self.bold_path, size, index=self.bold_index)
        return ImageFont.truetype(self.path, size, index=self.index)


def _face_index(path: str) -> int:
    """In a font collection (.ttc), the Simplified Chinese face (Noto's "… CJK SC")."""
    if not path.lower().endswith(".ttc"):
        return 0
    for index in range(32):
        try:
            family, _style = ImageFont.truetype(path, 12, index=index).getname()
        except OSError:
            break
        if family and family.endswith(" SC") and "Mono" not in family:
            return index
    return 0


def _usable(path: str) -> bool:
    try:
        ImageFont.truetype(path, 12, index=_face_index(path))
    except OSError:
        return False
    return True


@lru_cache(maxsize=4)
def _resolve_font(configured: str) -> PosterFont:
    candidates = [configured] if configured else []
    candidates += [c for c in FONT_CANDIDATES if c != configured]
    for path in candidates:
        if not Path(path).is_file() or not _usable(path):
            if path == configured:
                logger.warning("posters: POSTER_FONT_PATH %s is not a usable font", path)
            continue
        bold = path.replace("-Regular.", "-Bold.")
        bold_path = bold if bold != path and Path(bold).is_file() and _usable(bold) else None
        return PosterFont(
            path=path,
            index=_face_index(path),
            bold_path=bold_path,
            bold_index=_face_index(bold_path) if bold_path else 0,
        )
    logger.warning(
        "posters: no CJK font found (install Debian's fonts-noto-cjk or set "
        "POSTER_FONT_PATH); drawing with Pillow's default font, Chinese shows as boxes"
    )
    return PosterFont(path=None)


def poster_font() -> PosterFont:
    return _resolve_font(settings.POSTER_FONT_PATH or "")


def qr_image(url: str, *, side: int) -> Image.Image:
    """The QR code of ``url`` (error correction M, the standard 4-module quiet zone),
    scaled by a whole number of pixels per module to at most ``side`` pixels."""
    qr = segno.make_qr(url, error="m")
    border = 4
    modules = len(qr.matrix) + 2 * border
    image = Image.new("L", (modules, modules), 255)
    pixels = image.load()
    for y, row in enumerate(qr.matrix):
        for x, dark in enumerate(row):
            if dark:
                pixels[x + border, y + border] = 0
    scale = max(1, side // modules)
    return image.resize((modules * scale, modules * scale), Image.Resampling.NEAREST)


def _text_width(draw: ImageDraw.ImageDraw, text: str, font) -> float:
    return draw.textlength(text, font=font)


def _wrap(draw, text: str, font, width: int, max_lines: int) -> list[str]:
    """Greedy wrap by character (Chinese has no spaces), ellipsis on the last line."""
    lines: list[str] = []
    current = ""
    for char in text:
        if _text_width(draw, current + char, font) <= width:
            current += char
            continue
        lines.append(current)
        current = char.lstrip()
        if len(lines) == max_lines:
            break
    else:
        if current:
            lines.append(current)
        return lines
    last = lines[-1]
    while last and _text_width(draw, last + "…", font) > width:
        last = last[:-1]
    lines[-1] = last + "…"
    return lines


def _fitted(draw, text: str, font: PosterFont, *, width: int, sizes, bold: bool, lines: int):
    """The largest of ``sizes`` at which ``text`` fits in ``lines`` lines (else the
    smallest, cut with an ellipsis), as (font, lines)."""
    for size in sizes:
        face = font.get(size, bold=bold)
        wrapped = _wrap(draw, text, face, width, lines)
        if not wrapped or not wrapped[-1].endswith("…"):
            return face, wrapped
    return face, wrapped


def _centred(draw, lines: list[str], face, *, top: int, fill, line_gap: int) -> int:
    y = top
    for line in lines:
        left, upper, right, lower = draw.textbbox((0, 0), line, font=face)
        draw.text(((SIZE[0] - (right - left)) / 2 - left, y - upper), line, font=face, fill=fill)
        y += (lower - upper) + line_gap
    return y


def poster_render(
    *,
    photo: Image.Image | None,
    name: str,
    campaign_title: str,
    share_url: str,
    share_code: str,
    font: PosterFont | None = None,
) -> Image.Image:
    """A 1080x1620 RGB poster. ``photo`` is an upright sRGB image (or None for an
    entry without one: a plain panel takes its place). The texts are drawn as one line
    each whatever they hold: line breaks and control characters become spaces
    (core/text.py), so no stored name can make drawing fail."""
    font = font or poster_font()
    name, campaign_title, share_code = (
        single_line(name),
        single_line(campaign_title),
        single_line(share_code),
    )
    width, height = SIZE
    poster = Image.new("RGB", SIZE, BACKGROUND)
    draw = ImageDraw.Draw(poster)

    # Campaign title on a coloured band, up to two lines.
    band_height = 230
    draw.rectangle((0, 0, width, band_height), fill=BAND)
    face, lines = _fitted(
        draw,
        campaign_title,
        font,
        width=width - 2 * MARGIN,
        sizes=(64, 56, 48),
        bold=True,
        lines=2,
    )
    line_height = face.size if hasattr(face, "size") else 48
    block = len(lines) * line_height + (len(lines) - 1) * 16
    _centred(draw, lines, face, top=(band_height - block) // 2, fill=WHITE, line_gap=16)

    # The photo on a white card, whole (never cropped: a face at the edge stays).
    card = (MARGIN, band_height + 40, width - MARGIN, band_height + 40 + 820)
    draw.rounded_rectangle(card, radius=24, fill=WHITE)
    inner = (card[2] - card[0] - 40, card[3] - card[1] - 40)
    if photo is not None:
        shown = ImageOps.contain(photo.convert("RGB"), inner, Image.Resampling.LANCZOS)
        poster.paste(
            shown,
            (
                card[0] + (card[2] - card[0] - shown.width) // 2,
                card[1] + (card[3] - card[1] - shown.height) // 2,
            ),
        )
    else:
        draw.rounded_rectangle(
            (card[0] + 20, card[1] + 20, card[2] - 20, card[3] - 20), radius=16, fill=BACKGROUND
        )

    # The contestant's name.
    face, lines = _fitted(
        draw, name, font, width=width - 2 * MARGIN, sizes=(84, 72, 60), bold=True, lines=1
    )
    _centred(draw, lines, face, top=card[3] + 44, fill=INK, line_gap=0)

    # The call to vote and the QR code.
    qr_side = 300
    qr = qr_image(share_url, side=qr_side)
    qr_left = width - MARGIN - qr.width
    qr_top = height - MARGIN - qr.height
    poster.paste(qr, (qr_left, qr_top))
    with translation.override(settings.LANGUAGE_CODE):
        texts = (
            (gettext(CALL_TO_VOTE), font.get(56, bold=True), INK),
            (gettext(LONG_PRESS), font.get(36), MUTED),
            (gettext(SHARE_CODE) % {"code": share_code}, font.get(36), MUTED),
        )
    text_width = qr_left - MARGIN - 40
    y = qr_top + 40
    for text, face, fill in texts:
        line = _wrap(draw, text, face, text_width, 1)[0] if text else ""
        left, upper, _right, lower = draw.textbbox((0, 0), line, font=face)
        draw.text((MARGIN - left, y - upper), line, font=face, fill=fill)
        y += (lower - upper) + 36
    return poster
