"""Listing photos: listing_image_add checks what is cheap in the request (size, magic bytes)
and stores the upload privately as pending; listing_image_process (the worker's task) decodes
it under the pixel limit, strips every bit of metadata and makes the public copies, or marks
it failed with the reason the seller sees; listing_image_remove."""

import importlib
import io
import re
import time
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from celery import current_app
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from listings.enums import ImageStatus
from listings.images import IMAGE_MAX_BYTES
from listings.models import ListingImage
from listings.services import listing_image_add, listing_image_remove
from listings.tasks import listing_image_process_task, listing_images_pending_resume_task
from marketplace.core.exceptions import Conflict
from tests.factories import CompanyFactory, MembershipFactory
from tests.listings.factories import ListingFactory, image_bytes, image_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def listing(seller):
    return ListingFactory(seller=seller)


def _stored_files(settings) -> list[str]:
    """Public files, then private ones (prefixed "private:")."""
    found = []
    for prefix, root in (
        ("", Path(settings.MEDIA_ROOT)),
        ("private:", Path(settings.PRIVATE_MEDIA_ROOT)),
    ):
        found += sorted(prefix + str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    return found


def _processed(image: ListingImage, django_capture_on_commit_callbacks) -> ListingImage:
    """What the worker does with a pending image: the task, as Celery runs it."""
    with django_capture_on_commit_callbacks(execute=True):
        listing_image_process_task.run(image_id=image.pk)
    image.refresh_from_db()
    return image


def _added(listing, actor, upload, capture, **kwargs) -> ListingImage:
    return _processed(
        listing_image_add(listing=listing, actor=actor, file=upload, **kwargs), capture
    )


def _gps_jpeg(size=(1600, 900), orientation: int | None = None) -> bytes:
    """A JPEG whose EXIF names the camera and where it was (GPS), as phones write them."""
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    if orientation is not None:
        exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (52.0, 31.0, 12.0)
    gps[3] = "E"
    gps[4] = (13.0, 24.0, 36.0)
    buffer = io.BytesIO()
    Image.new("RGB", size, "navy").save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def _refused(settings, *, listing, actor, file) -> list[str]:
    before = (ListingImage.objects.count(), _stored_files(settings))
    with pytest.raises(ValidationError) as caught:
        listing_image_add(listing=listing, actor=actor, file=file)
    assert (ListingImage.objects.count(), _stored_files(settings)) == before
    return caught.value.message_dict["image"]


def test_a_png_is_stored_privately_as_pending_then_processed_into_public_copies(
    settings, listing, seller_user, django_capture_on_commit_callbacks
):
    upload = image_upload(fmt="PNG", size=(2400, 1600), name="../../etc/My Photo.png")

    with django_capture_on_commit_callbacks() as callbacks:
        pending = listing_image_add(
            listing=listing, actor=seller_user, file=upload, alt_text="Bolts"
        )

    # The request decoded nothing: no size yet, no public file, one task after commit.
    assert (pending.status, pending.width, pending.height) == ("pending", 0, 0)
    assert (pending.content_type, pending.size_bytes) == ("image/png", upload.size)
    assert (pending.alt_text, pending.position) == ("Bolts", 0)
    stem = re.escape(f"listings/{listing.pk}/")
    assert re.fullmatch(stem + r"[0-9a-f]{32}\.png", pending.upload.name)
    assert "Photo" not in pending.upload.name
    assert not pending.original and not pending.card and not pending.detail
    assert _stored_files(settings) == [f"private:{pending.upload.name}"]
    assert len(callbacks) == 1

    image = _processed(pending, django_capture_on_commit_callbacks)

    assert (image.status, image.failure_reason) == ("ready", "")
    assert (image.width, image.height) == (2400, 1600)
    assert not image.upload  # the upload as sent is gone
    assert re.fullmatch(stem + r"[0-9a-f]{32}\.png", image.original.name)
    assert re.fullmatch(stem + r"[0-9a-f]{32}-card\.jpg", image.card.name)
    assert re.fullmatch(stem + r"[0-9a-f]{32}-detail\.jpg", image.detail.name)
    with Image.open(image.original.path) as original:
        assert (original.format, original.size) == ("PNG", (2400, 1600))
    with Image.open(image.card.path) as card:
        assert (card.format, card.size, card.mode) == ("JPEG", (480, 320), "RGB")
    with Image.open(image.detail.path) as detail:
        assert (detail.format, detail.size) == ("JPEG", (1200, 800))
    assert _stored_files(settings) == sorted(
        [image.original.name, image.card.name, image.detail.name]
    )


def test_a_jpeg_named_png_is_judged_by_its_content(
    listing, seller_user, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("photo.png", image_bytes(fmt="JPEG"), content_type="image/png")

    image = _added(listing, seller_user, upload, django_capture_on_commit_callbacks)

    assert (image.status, image.content_type) == ("ready", "image/jpeg")
    assert image.original.name.endswith(".jpg")


def test_a_small_webp_is_not_upscaled(listing, seller_user, django_capture_on_commit_callbacks):
    upload = image_upload(fmt="WEBP", size=(300, 200))

    image = _added(listing, seller_user, upload, django_capture_on_commit_callbacks)

    assert (image.status, image.content_type) == ("ready", "image/webp")
    with Image.open(image.card.path) as card, Image.open(image.detail.path) as detail:
        assert card.size == detail.size == (300, 200)


def test_a_jpeg_with_gps_exif_comes_out_without_any_exif(
    settings, listing, seller_user, django_capture_on_commit_callbacks
):
    data = _gps_jpeg()
    with Image.open(io.BytesIO(data)) as sent:  # the test photo does carry a position
        assert sent.getexif().get_ifd(0x8825)[2] == (52.0, 31.0, 12.0)
    upload = SimpleUploadedFile("p.jpg", data, content_type="image/jpeg")

    image = _added(listing, seller_user, upload, django_capture_on_commit_callbacks)

    assert image.status == "ready"
    for public in (image.original, image.card, image.detail):
        with Image.open(public.path) as copy:
            assert dict(copy.getexif()) == {}
            assert copy.getexif().get_ifd(0x8825) == {}
            assert "exif" not in copy.info
        assert b"SecretCam" not in Path(public.path).read_bytes()
    # Nothing with the position is left anywhere, not even privately.
    assert not any(name.startswith("private:") for name in _stored_files(settings))


def test_the_exif_orientation_is_applied_before_it_is_dropped(
    listing, seller_user, django_capture_on_commit_callbacks
):
    # Orientation 6: the camera was turned; the pixels are 1600 × 900 but the photo is upright
    # at 900 × 1600.
    upload = SimpleUploadedFile("p.jpg", _gps_jpeg(orientation=6), content_type="image/jpeg")

    image = _added(listing, seller_user, upload, django_capture_on_commit_callbacks)

    assert (image.width, image.height) == (900, 1600)
    with Image.open(image.original.path) as original:
        assert original.size == (900, 1600)
        assert dict(original.getexif()) == {}
    with Image.open(image.card.path) as card:
        assert card.size == (480, 853)


def test_a_transparent_png_gets_a_white_background(
    listing, seller_user, django_capture_on_commit_callbacks
):
    buffer = io.BytesIO()
    Image.new("RGBA", (100, 100), (0, 0, 0, 0)).save(buffer, "PNG")
    upload = SimpleUploadedFile("t.png", buffer.getvalue(), content_type="image/png")

    image = _added(listing, seller_user, upload, django_capture_on_commit_callbacks)

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


def test_a_file_one_byte_over_5_mb_is_refused(settings, listing, seller_user):
    data = image_bytes(fmt="PNG", size=(10, 10))
    upload = SimpleUploadedFile(
        "big.png", data + b"\0" * (IMAGE_MAX_BYTES + 1 - len(data)), content_type="image/png"
    )
    assert upload.size == 5 * 1024 * 1024 + 1
    assert _refused(settings, listing=listing, actor=seller_user, file=upload) == [
        "The image is 5.1 MB, over the 5 MB limit."
    ]


def _failed_in_the_worker(settings, listing, seller_user, upload, capture) -> ListingImage:
    """The request takes the upload (it decodes nothing); the worker refuses it."""
    pending = listing_image_add(listing=listing, actor=seller_user, file=upload)
    assert pending.status == ImageStatus.PENDING
    image = _processed(pending, capture)
    assert image.status == ImageStatus.FAILED
    assert not image.original and not image.card and not image.detail and not image.upload
    assert _stored_files(settings) == []
    return image


def test_a_truncated_png_fails_in_the_worker_with_the_reason(
    settings, listing, seller_user, django_capture_on_commit_callbacks
):
    data = image_bytes(fmt="PNG", size=(400, 400))
    upload = SimpleUploadedFile("cut.png", data[: len(data) // 2], content_type="image/png")

    image = _failed_in_the_worker(
        settings, listing, seller_user, upload, django_capture_on_commit_callbacks
    )

    assert image.failure_reason == "The image could not be read: the file is damaged or incomplete."


def test_an_image_9000_px_wide_fails_in_the_worker(
    settings, listing, seller_user, django_capture_on_commit_callbacks
):
    upload = image_upload(fmt="PNG", size=(9000, 10))

    image = _failed_in_the_worker(
        settings, listing, seller_user, upload, django_capture_on_commit_callbacks
    )

    assert image.failure_reason == "The image is 9,000 × 10 px; at most 8,000 px on either side."


def _bomb(side: int) -> SimpleUploadedFile:
    """A valid PNG header claiming side × side px, with almost no data."""
    data = bytearray(image_bytes(fmt="PNG", size=(1, 1)))
    data[16:24] = side.to_bytes(4, "big") + side.to_bytes(4, "big")
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")  # the IHDR checksum
    return SimpleUploadedFile("bomb.png", bytes(data), content_type="image/png")


def test_a_decompression_bomb_is_taken_by_the_request_and_refused_by_the_worker(
    settings, listing, seller_user, django_capture_on_commit_callbacks
):
    # 60,000 × 60,000 px: 3.6 gigapixels declared in a file of a few dozen bytes.
    image = _failed_in_the_worker(
        settings, listing, seller_user, _bomb(60_000), django_capture_on_commit_callbacks
    )

    assert image.failure_reason == (
        "The image has too many pixels to be processed safely: at most 40,000,000 "
        "(8,000 px on either side)."
    )


def test_the_pixel_limit_is_a_setting(
    settings, listing, seller_user, django_capture_on_commit_callbacks
):
    # 7,000 × 7,000 = 49 M px: within 8,000 px a side, over a limit of 30 M (and of the
    # default 40 M): Pillow's own bomb check refuses it before decoding.
    settings.LISTING_IMAGE_MAX_PIXELS = 30_000_000

    image = _failed_in_the_worker(
        settings, listing, seller_user, _bomb(7_000), django_capture_on_commit_callbacks
    )

    assert image.failure_reason == (
        "The image has too many pixels to be processed safely: at most 30,000,000 "
        "(8,000 px on either side)."
    )
    assert Image.MAX_IMAGE_PIXELS != 30_000_000  # Pillow's global is put back


def test_only_processed_images_are_public_and_the_seller_sees_the_others(
    client, seller, seller_user, django_capture_on_commit_callbacks
):
    listing = ListingFactory(seller=seller, published=True)
    good = _added(listing, seller_user, image_upload(), django_capture_on_commit_callbacks)
    _processed(
        listing_image_add(listing=listing, actor=seller_user, file=_bomb(60_000)),
        django_capture_on_commit_callbacks,
    )
    listing_image_add(listing=listing, actor=seller_user, file=image_upload())  # still pending

    ready = ListingImage.objects.ready().filter(listing=listing)
    assert list(ready.values_list("pk", flat=True)) == [good.pk]
    public = client.get(reverse("listings:detail", args=[listing.pk])).content.decode()
    assert public.count('src="/media/listings/') == 1
    assert f'src="{good.detail.url}"' in public
    api = client.get(f"/api/v1/listings/{listing.pk}/").json()
    assert [(i["id"], i["status"]) for i in api["images"]] == [(good.pk, "ready")]

    client.force_login(seller_user)
    page = client.get(reverse("listings:edit", args=[listing.pk]))
    content = page.content.decode()
    assert 'data-image-status="ready"' in content
    assert (
        "Image 2 was refused: The image has too many pixels to be processed safely: at most "
        "40,000,000 (8,000 px on either side). Buyers do not see it" in content
    )
    assert "Processing… Buyers see it once it is ready" in content


def test_processing_twice_changes_nothing(
    settings, listing, seller_user, django_capture_on_commit_callbacks
):
    image = _added(listing, seller_user, image_upload(), django_capture_on_commit_callbacks)
    files = _stored_files(settings)

    again = _processed(image, django_capture_on_commit_callbacks)

    assert (again.status, again.original.name, again.updated_at) == (
        "ready",
        image.original.name,
        image.updated_at,
    )
    assert _stored_files(settings) == files


def test_a_real_worker_processes_an_upload(settings, seller, seller_user, celery_worker):
    listing = ListingFactory(seller=seller)
    upload = SimpleUploadedFile("p.jpg", _gps_jpeg(size=(800, 600)), content_type="image/jpeg")

    image = listing_image_add(listing=listing, actor=seller_user, file=upload)

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        image.refresh_from_db()
        if image.status != ImageStatus.PENDING:
            break
        time.sleep(0.2)
    assert image.status == ImageStatus.READY
    with Image.open(image.original.path) as original:
        assert (original.size, dict(original.getexif())) == ((800, 600), {})


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
    image = _added(listing, seller_user, image_upload(), django_capture_on_commit_callbacks)
    assert len(_stored_files(settings)) == 3

    with django_capture_on_commit_callbacks(execute=True):
        listing_image_remove(image=image, actor=seller_user)

    assert ListingImage.objects.count() == 0
    assert _stored_files(settings) == []


def test_beat_processes_an_image_whose_task_was_lost(settings, listing, seller_user):
    stale = listing_image_add(listing=listing, actor=seller_user, file=image_upload())
    fresh = listing_image_add(listing=listing, actor=seller_user, file=image_upload())
    ListingImage.objects.filter(pk=stale.pk).update(
        created_at=timezone.now() - timedelta(minutes=6)
    )

    assert listing_images_pending_resume_task.run() == 1

    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.status, fresh.status) == ("ready", "pending")
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "listings.tasks.listing_images_pending_resume_task" in scheduled
    assert listing_images_pending_resume_task.name in current_app.tasks


def test_the_migration_strips_the_exif_of_images_published_before_it(
    settings, listing, django_capture_on_commit_callbacks
):
    from django.apps import apps as django_apps
    from django.core.files.base import ContentFile
    from django.core.files.storage import storages

    migration = importlib.import_module("listings.migrations.0009_listing_image_processing")
    public = storages["default"]
    folder = f"listings/{listing.pk}"
    # As the request stored it before: the upload itself public, GPS and all.
    names = {
        "original": public.save(f"{folder}/old.jpg", ContentFile(_gps_jpeg(size=(640, 480)))),
        "card": public.save(f"{folder}/old-card.jpg", ContentFile(image_bytes(fmt="JPEG"))),
        "detail": public.save(f"{folder}/old-detail.jpg", ContentFile(image_bytes(fmt="JPEG"))),
    }
    kept = ListingImage.objects.create(
        listing=listing, status="ready", content_type="image/jpeg", **names
    )
    bomb = _bomb(60_000)
    bomb_names = {
        "original": public.save(f"{folder}/bomb.png", ContentFile(bomb.read())),
        "card": public.save(f"{folder}/bomb-card.jpg", ContentFile(image_bytes(fmt="JPEG"))),
        "detail": public.save(f"{folder}/bomb-detail.jpg", ContentFile(image_bytes(fmt="JPEG"))),
    }
    taken_down = ListingImage.objects.create(
        listing=listing, status="ready", content_type="image/png", **bomb_names
    )

    migration.strip_existing(django_apps, None)

    kept.refresh_from_db()
    assert (kept.status, kept.width, kept.height) == ("ready", 640, 480)
    with Image.open(kept.original.path) as original:
        assert dict(original.getexif()) == {}
    assert b"SecretCam" not in Path(kept.original.path).read_bytes()
    taken_down.refresh_from_db()
    assert (taken_down.status, taken_down.original.name) == ("failed", "")
    assert taken_down.failure_reason.startswith("The image has too many pixels")
    assert not any(public.exists(name) for name in bomb_names.values())
