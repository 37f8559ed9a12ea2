"""Listing photos: what an upload is (judged by its first bytes), and its public copies.

Two steps, so that no web process ever decodes an uploaded image:

- In the request, ``image_sniff`` checks what is cheap: the size (at most 5 MB) and the
  magic bytes (JPEG, PNG or WebP; the name and the declared content type are ignored). The
  upload is stored as it came, in the private storage, and the image is *pending*.
- In the Celery worker, ``image_render`` decodes it with Pillow under a pixel limit
  (``LISTING_IMAGE_MAX_PIXELS``; a decompression bomb is refused before its pixels are
  expanded) and at most 8,000 px on either side, turns it by its EXIF orientation, and
  re-encodes it without any metadata (EXIF with camera and GPS, XMP, ICC, comments): a
  full-size copy in its own format and the 480 px card and 1200 px detail copies as JPEG.
  Only these copies are public; a refused image keeps a reason for the seller.
"""

import io
import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps

from listings.enums import ImageVariant

IMAGE_MAX_BYTES = 5 * 1024 * 1024
IMAGE_MAX_SIDE_PX = 8_000
IMAGES_PER_LISTING_MAX = 10
VARIANT_WIDTHS: dict[str, int] = {ImageVariant.CARD: 480, ImageVariant.DETAIL: 1200}
VARIANT_JPEG_QUALITY = 85


@dataclass(frozen=True)
class ImageFormat:
    label: str
    content_type: str
    extension: str


# Pillow's format name → what we store it as.
IMAGE_FORMATS: dict[str, ImageFormat] = {
    "JPEG": ImageFormat("JPEG", "image/jpeg", ".jpg"),
    "PNG": ImageFormat("PNG", "image/png", ".png"),
    "WEBP": ImageFormat("WebP", "image/webp", ".webp"),
}
FORMAT_BY_CONTENT_TYPE: dict[str, str] = {f.content_type: name for name, f in IMAGE_FORMATS.items()}
ORIGINAL_JPEG_QUALITY = 90


@dataclass(frozen=True)
class InspectedImage:
    format: ImageFormat
    width: int
    height: int
    size_bytes: int


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError({"image": [ValidationError(message, code=code)]})


def _megabytes(size: int) -> str:
    return f"{math.ceil(size * 10 / (1024 * 1024)) / 10:.1f} MB"


def _format_of(head: bytes) -> str | None:
    """The format the magic bytes announce (without decoding anything)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def image_sniff(*, file: UploadedFile) -> InspectedImage:
    """What ``file`` claims to be by its size and first bytes; ``ValidationError({"image":
    [...]})`` if refused. Nothing is decoded here: the worker does that (``image_render``),
    so the width and height are 0 until then."""
    size = file.size or 0
    if size == 0:
        raise _refuse("The file is empty.", "empty_file")
    if size > IMAGE_MAX_BYTES:
        raise _refuse(f"The image is {_megabytes(size)}, over the 5 MB limit.", "image_too_large")
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    detected = _format_of(head)
    if detected is None:
        raise _refuse("The file is not a JPEG, PNG or WebP image.", "not_an_image")
    return InspectedImage(format=IMAGE_FORMATS[detected], width=0, height=0, size_bytes=size)


class ImageRefused(Exception):
    """The worker could not make a public image of an upload; ``message`` is for the seller."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class RenderedImage:
    format: ImageFormat
    width: int
    height: int
    original: ContentFile
    card: ContentFile
    detail: ContentFile


@contextmanager
def _pixel_limit(pixels: int) -> Iterator[None]:
    """Pillow's decompression-bomb limit set to ``pixels`` while decoding; over it, refused."""
    before = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = pixels
    try:
        with warnings.catch_warnings():
            # Pillow warns between the limit and twice it, and raises beyond: both refuse.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    finally:
        Image.MAX_IMAGE_PIXELS = before


def _too_many_pixels(limit: int) -> ImageRefused:
    return ImageRefused(
        f"The image has too many pixels to be processed safely: at most {limit:,} "
        f"({IMAGE_MAX_SIDE_PX:,} px on either side).",
        "image_too_many_pixels",
    )


def _without_metadata(image: Image.Image, fmt: str) -> ContentFile:
    """``image`` re-encoded in ``fmt`` with no EXIF, XMP, ICC profile or comment."""
    image.info.clear()  # Pillow copies some of these from ``info`` when saving
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = _flattened_rgb(image)
    elif fmt == "WEBP" and image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    elif fmt == "PNG" and image.mode not in ("1", "L", "LA", "I", "P", "RGB", "RGBA"):
        image = image.convert("RGB")
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.save(buffer, "JPEG", quality=ORIGINAL_JPEG_QUALITY, optimize=True)
    elif fmt == "WEBP":
        image.save(buffer, "WEBP", quality=ORIGINAL_JPEG_QUALITY)
    else:
        image.save(buffer, "PNG", optimize=True)
    return ContentFile(buffer.getvalue())


def image_render(*, file: File | IO[bytes], content_type: str) -> RenderedImage:
    """Decode an upload and make its public copies; ``ImageRefused`` with the reason if it
    cannot be (a decompression bomb, too large, damaged, or not the format it claimed).

    Runs in the worker: decoding is the costly, risky step the web processes never take.
    """
    limit = settings.LISTING_IMAGE_MAX_PIXELS
    expected = FORMAT_BY_CONTENT_TYPE.get(content_type)
    file.seek(0)
    try:
        with _pixel_limit(limit), Image.open(file, formats=list(IMAGE_FORMATS)) as source:
            detected = source.format or ""
            if detected not in IMAGE_FORMATS or detected != expected:
                raise ImageRefused("The file is not a JPEG, PNG or WebP image.", "not_an_image")
            width, height = source.size
            if width < 1 or height < 1:
                raise ImageRefused("The file is not a JPEG, PNG or WebP image.", "not_an_image")
            if max(width, height) > IMAGE_MAX_SIDE_PX:
                raise ImageRefused(
                    f"The image is {width:,} × {height:,} px; at most {IMAGE_MAX_SIDE_PX:,} px "
                    "on either side.",
                    "image_too_many_pixels",
                )
            if width * height > limit:
                raise _too_many_pixels(limit)
            source.load()
            oriented = ImageOps.exif_transpose(source)
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(limit) from None
    except Exception:  # Pillow raises many types for damaged or truncated data
        raise ImageRefused(
            "The image could not be read: the file is damaged or incomplete.", "image_damaged"
        ) from None
    fmt = IMAGE_FORMATS[detected]
    original = _without_metadata(oriented.copy(), detected)
    variants = _variants(_flattened_rgb(oriented))
    return RenderedImage(
        format=fmt,
        width=oriented.width,
        height=oriented.height,
        original=original,
        card=variants[ImageVariant.CARD],
        detail=variants[ImageVariant.DETAIL],
    )


def _flattened_rgb(image: Image.Image) -> Image.Image:
    """RGB on a white background (transparent PNG/WebP areas would turn black in JPEG)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _variants(rgb: Image.Image) -> dict[str, ContentFile]:
    """The card and detail copies: JPEG, aspect kept, never upscaled, no metadata."""
    variants: dict[str, ContentFile] = {}
    for variant, width in VARIANT_WIDTHS.items():
        copy = rgb
        if rgb.width > width:
            height = max(1, round(rgb.height * width / rgb.width))
            copy = rgb.resize((width, height), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        # No exif= argument: the copy carries no metadata at all.
        copy.save(buffer, "JPEG", quality=VARIANT_JPEG_QUALITY, optimize=True, progressive=True)
        variants[variant] = ContentFile(buffer.getvalue())
    return variants
