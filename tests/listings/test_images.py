"""listing_image_add / listing_image_remove: checked by content, capped, renamed, resized."""

import io
import re
import zlib
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from listings.images import IMAGE_MAX_BYTES
from listings.models import ListingImage
from listings.services import listing_image_add, listing_image_remove
from marketplace.core.exceptions import Conflict
from tests.factories import CompanyFactory, MembershipFactory
from tests.listings.factories import ListingFactory, image_bytes, image_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def listing(seller):
    return ListingFactory(seller=seller)


def _stored_files(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _refused(settings, *, listing, actor, file) -> list[str]:
    before = (ListingImage.objects.count(), _stored_files(settings))
    with pytest.raises(ValidationError) as caught:
        listing_image_add(listing=listing, actor=actor, file=file)
    assert (ListingImage.objects.count(), _stored_files(settings)) == before
    return caught.value.message_dict["image"]


def test_a_png_is_stored_under_a_random_name_with_card_and_detail_copies(
    settings, listing, seller_user
):
    upload = image_upload(fmt="PNG", size=(2400, 1600), name="../../etc/My Photo.png")

    image = listing_image_add(listing=listing, actor=seller_user, file=upload, alt_text="Bolts")

    assert (image.content_type, image.width, image.height) == ("image/png", 2400, 1600)
    assert image.size_bytes == upload.size
    assert (image.alt_text, image.position) == ("Bolts", 0)
    stem = re.escape(f"listings/{listing.pk}/")
    assert re.fullmatch(stem + r"[0-9a-f]{32}\.png", image.original.name)
    assert re.fullmatch(stem + r"[0-9a-f]{32}-card\.jpg", image.card.name)
    assert re.fullmatch(stem + r"[0-9a-f]{32}-detail\.jpg", image.detail.name)
    assert "Photo" not in image.original.name
    with Image.open(image.card.path) as card:
        assert (card.format, card.size, card.mode) == ("JPEG", (480, 320), "RGB")
    with Image.open(image.detail.path) as detail:
        assert (detail.format, detail.size) == ("JPEG", (1200, 800))
    assert len(_stored_files(settings)) == 3


def test_a_jpeg_named_png_is_judged_by_its_content(listing, seller_user):
    upload = SimpleUploadedFile("photo.png", image_bytes(fmt="JPEG"), content_type="image/png")

    image = listing_image_add(listing=listing, actor=seller_user, file=upload)

    assert image.content_type == "image/jpeg"
    assert image.original.name.endswith(".jpg")


def test_a_small_webp_is_not_upscaled(listing, seller_user):
    image = listing_image_add(
        listing=listing, actor=seller_user, file=image_upload(fmt="WEBP", size=(300, 200))
    )

    assert image.content_type == "image/webp"
    with Image.open(image.card.path) as card, Image.open(image.detail.path) as detail:
        assert card.size == detail.size == (300, 200)


def test_exif_is_stripped_from_the_copies(listing, seller_user):
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 900), "navy").save(buffer, "JPEG", exif=exif)
    upload = SimpleUploadedFile("p.jpg", buffer.getvalue(), content_type="image/jpeg")

    image = listing_image_add(listing=listing, actor=seller_user, file=upload)

    with Image.open(image.card.path) as card:
        assert dict(card.getexif()) == {}
    assert b"SecretCam" not in Path(image.detail.path).read_bytes()


def test_a_transparent_png_gets_a_white_background(listing, seller_user):
    buffer = io.BytesIO()
    Image.new("RGBA", (100, 100), (0, 0, 0, 0)).save(buffer, "PNG")
    upload = SimpleUploadedFile("t.png", buffer.getvalue(), content_type="image/png")

    image = listing_image_add(listing=listing, actor=seller_user, file=upload)

    with Image.open(image.card.path) as card:
        assert card.getpixel((50, 50)) == (255, 255, 255)


def test_a_text_file_named_jpg_is_refused(settings, listing, seller_user):
    upload = SimpleUploadedFile("photo.jpg", b"not an image at all\n", content_type="image/jpeg")
    assert _refused(settings, listing=listing, actor=seller_user, file=upload) == [
        "The file is not a JPEG, PNG or WebP image."
    ]


def test_a_non_image_file_named_png_is_refused(settings, listing, seller_user):
    upload = SimpleUploadedFile("photo.png", b"%PDF-1.7\n%%EOF\n", content_type="image/png")
    assert _refused(settings, listing=listing, actor=seller_user, file=upload) == [
        "The file is not a JPEG, PNG or WebP image."
    ]


def test_a_gif_is_refused(settings, listing, seller_user):
    upload = image_upload(fmt="GIF", name="anim.gif", content_type="image/gif")
    assert _refused(settings, listing=listing, actor=seller_user, file=upload) == [
        "The file is not a JPEG, PNG or WebP image."
    ]


def test_a_truncated_png_is_refused(settings, listing, seller_user):
    data = image_bytes(fmt="PNG", size=(400, 400))
    upload = SimpleUploadedFile("cut.png", data[: len(data) // 2], content_type="image/png")
    assert _refused(settings, listing=listing, actor=seller_user, file=upload) == [
        "The file is not a JPEG, PNG or WebP image."
    ]


def test_a_file_one_byte_over_5_mb_is_refused(settings, listing, seller_user):
    data = image_bytes(fmt="PNG", size=(10, 10))
    upload = SimpleUploadedFile(
        "big.png", data + b"\0" * (IMAGE_MAX_BYTES + 1 - len(data)), content_type="image/png"
    )
    assert upload.size == 5 * 1024 * 1024 + 1
    assert _refused(settings, listing=listing, actor=seller_user, file=upload) == [
        "The image is 5.1 MB, over the 5 MB limit."
    ]


def test_an_image_9000_px_wide_is_refused(settings, listing, seller_user):
    upload = image_upload(fmt="PNG", size=(9000, 10))
    assert _refused(settings, listing=listing, actor=seller_user, file=upload) == [
        "The image is 9,000 × 10 px; at most 8,000 px on either side."
    ]


def test_a_decompression_bomb_is_refused_without_decoding(settings, listing, seller_user):
    # A valid PNG header claiming 60,000 × 60,000 px (3.6 gigapixels), with almost no data.
    data = bytearray(image_bytes(fmt="PNG", size=(1, 1)))
    data[16:24] = (60_000).to_bytes(4, "big") + (60_000).to_bytes(4, "big")
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")  # the IHDR checksum
    upload = SimpleUploadedFile("bomb.png", bytes(data), content_type="image/png")
    assert _refused(settings, listing=listing, actor=seller_user, file=upload) == [
        "The image is too large: at most 8,000 px on either side."
    ]


def test_an_eleventh_image_is_refused(settings, listing, seller_user):
    for _ in range(10):
        listing_image_add(listing=listing, actor=seller_user, file=image_upload(size=(20, 20)))

    assert _refused(
        settings, listing=listing, actor=seller_user, file=image_upload(size=(20, 20))
    ) == ["A listing can have at most 10 images."]
    assert list(listing.images.values_list("position", flat=True)) == list(range(10))


def test_another_company_cannot_add_an_image(settings, listing):
    other = MembershipFactory(company=CompanyFactory(seller=True)).user
    before = _stored_files(settings)
    with pytest.raises(PermissionDenied):
        listing_image_add(listing=listing, actor=other, file=image_upload())
    assert (ListingImage.objects.count(), _stored_files(settings)) == (0, before)


def test_an_archived_listing_takes_no_images(settings, seller, seller_user):
    listing = ListingFactory(seller=seller, archived=True)
    with pytest.raises(Conflict):
        listing_image_add(listing=listing, actor=seller_user, file=image_upload())
    assert (ListingImage.objects.count(), _stored_files(settings)) == (0, [])


def test_removing_an_image_deletes_its_row_and_files_after_commit(
    settings, listing, seller_user, django_capture_on_commit_callbacks
):
    image = listing_image_add(listing=listing, actor=seller_user, file=image_upload())
    assert len(_stored_files(settings)) == 3

    with django_capture_on_commit_callbacks(execute=True):
        listing_image_remove(image=image, actor=seller_user)

    assert ListingImage.objects.count() == 0
    assert _stored_files(settings) == []
