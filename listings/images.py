"""Listing photos: what an upload really is (judged by its content), and its resized copies.

Only JPEG, PNG and WebP are accepted, at most 5 MB and 8,000 px on either side; the name and
the declared content type are ignored, the bytes decide. The copies buyers see (a 480 px card
and a 1200 px detail) are re-encoded as JPEG without metadata, so no EXIF (camera, GPS) leaks.
"""

import io
import math
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
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


def image_inspect(*, file: UploadedFile) -> InspectedImage:
    """What ``file`` is, read from its bytes; ``ValidationError({"image": [...]})`` if refused.

    The dimensions are read from the header before any pixel is decoded, so an image that
    claims 50,000 × 50,000 px (a decompression bomb) is refused without being expanded.
    """
    size = file.size or 0
    if size == 0:
        raise _refuse("The file is empty.", "empty_file")
    if size > IMAGE_MAX_BYTES:
        raise _refuse(f"The image is {_megabytes(size)}, over the 5 MB limit.", "image_too_large")
    file.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                detected = image.format or ""
                width, height = image.size
                if detected in IMAGE_FORMATS and max(width, height) <= IMAGE_MAX_SIDE_PX:
                    image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(
            f"The image is too large: at most {IMAGE_MAX_SIDE_PX:,} px on either side.",
            "image_too_many_pixels",
        ) from None
    except Exception:  # Pillow raises many types for bytes that are not an image
        raise _refuse("The file is not a JPEG, PNG or WebP image.", "not_an_image") from None
    finally:
        file.seek(0)
    if detected not in IMAGE_FORMATS:
        raise _refuse("The file is not a JPEG, PNG or WebP image.", "not_an_image")
    if max(width, height) > IMAGE_MAX_SIDE_PX:
        raise _refuse(
            f"The image is {width:,} × {height:,} px; at most {IMAGE_MAX_SIDE_PX:,} px "
            "on either side.",
            "image_too_many_pixels",
        )
    if width < 1 or height < 1:
        raise _refuse("The file is not a JPEG, PNG or WebP image.", "not_an_image")
    return InspectedImage(
        format=IMAGE_FORMATS[detected], width=width, height=height, size_bytes=size
    )


def _flattened_rgb(image: Image.Image) -> Image.Image:
    """RGB on a white background (transparent PNG/WebP areas would turn black in JPEG)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def image_variants_render(*, file: UploadedFile) -> dict[str, ContentFile]:
    """The card and detail copies of an inspected image: JPEG, aspect kept, never upscaled."""
    file.seek(0)
    with Image.open(file) as source:
        largest = max(VARIANT_WIDTHS.values())
        if source.format == "JPEG" and source.width > largest:
            # Let the JPEG decoder scale down while decoding: far less memory and time.
            source.draft("RGB", (largest, math.ceil(source.height * largest / source.width)))
        oriented = ImageOps.exif_transpose(source)
        rgb = _flattened_rgb(oriented)
    file.seek(0)
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
