"""Trade PDFs are private files: stored under PRIVATE_MEDIA_ROOT (never MEDIA_ROOT), without
any URL, downloaded only through the access-checked views, with headers that keep them out
of shared caches and content sniffing; staff need the permission, not is_staff alone."""

import importlib
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.core.checks import Error
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.http import Http404
from django.test import Client, RequestFactory
from django.views.static import serve

from marketplace.core.checks import private_media_root_check
from marketplace.core.storage import (
    PrivateFileSystemStorage,
    private_files_move,
    private_storage,
)
from orders.documents.models import TradeDocument
from tests.documents.issued import document_bytes, issue_document, order_with_parties
from tests.factories import UserFactory, admin_login
from tests.permissions import grant

pytestmark = pytest.mark.django_db

NUMBER = "NBF-CI-2026-00007"


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_a_pdf_is_stored_in_the_private_folder_and_has_no_url(settings):
    parties = order_with_parties()
    document = issue_document(order=parties.order, number=NUMBER)

    path = Path(document.file.path)
    assert path.is_relative_to(Path(settings.PRIVATE_MEDIA_ROOT).resolve())
    assert path.read_bytes() == document_bytes(document)
    assert not (Path(settings.MEDIA_ROOT) / document.file.name).exists()
    assert isinstance(document.file.storage, PrivateFileSystemStorage)
    with pytest.raises(ValueError, match="A private file has no URL"):
        document.file.url  # noqa: B018


def test_the_pdf_is_not_reachable_under_media_url(settings):
    parties = order_with_parties()
    document = issue_document(order=parties.order, number=NUMBER)
    request = RequestFactory().get(f"{settings.MEDIA_URL}{document.file.name}")

    # What DEBUG's static() route would do for the name: nothing there.
    with pytest.raises(Http404):
        serve(request, document.file.name, document_root=settings.MEDIA_ROOT)
    # And nothing in production: /media/ is no route of the site.
    assert _client(parties.buyer_user).get(f"/media/{document.file.name}").status_code == 404


@pytest.mark.parametrize("who", ["buyer_user", "seller_user"])
def test_the_parties_get_the_exact_bytes_with_private_headers(who):
    parties = order_with_parties()
    document = issue_document(order=parties.order, number=NUMBER)

    response = _client(getattr(parties, who)).get(f"/documents/{document.pk}/download/")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == document_bytes(document)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{NUMBER}.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store, max-age=0"


def test_the_api_download_has_the_same_headers():
    parties = order_with_parties()
    document = issue_document(order=parties.order, number=NUMBER)
    client = Client()
    client.force_login(parties.seller_user)

    response = client.get(f"/api/v1/documents/{document.pk}/download/")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == document_bytes(document)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store, max-age=0"


def test_anonymous_is_sent_to_sign_in_and_another_company_gets_404():
    parties = order_with_parties()
    document = issue_document(order=parties.order, number=NUMBER)

    anonymous = _client().get(f"/documents/{document.pk}/download/")
    outsider = _client(parties.outsider).get(f"/documents/{document.pk}/download/")

    assert anonymous.status_code == 302
    assert anonymous["Location"] == f"/accounts/login/?next=/documents/{document.pk}/download/"
    assert outsider.status_code == 404
    assert b"%PDF" not in outsider.content


def test_staff_need_the_permission_to_download_another_companys_pdf():
    parties = order_with_parties()
    document = issue_document(order=parties.order, number=NUMBER)
    staff = UserFactory(email="support@platform.example", is_staff=True)

    without = _client(staff).get(f"/documents/{document.pk}/download/")
    api_without = _client(staff).get(f"/api/v1/documents/{document.pk}/download/")
    grant(staff, "documents.view_any_trade_document")
    with_permission = _client(staff).get(f"/documents/{document.pk}/download/")
    # The permission alone, without staff status, opens nothing.
    not_staff = grant(UserFactory(), "documents.view_any_trade_document")
    plain = _client(not_staff).get(f"/documents/{document.pk}/download/")

    assert (without.status_code, api_without.status_code) == (404, 404)
    assert with_permission.status_code == 200
    assert b"".join(with_permission.streaming_content) == document_bytes(document)
    assert plain.status_code == 404


def test_the_admin_links_the_access_checked_download():
    parties = order_with_parties()
    document = issue_document(order=parties.order, number=NUMBER)
    admin = UserFactory(email="root@platform.example", is_staff=True, is_superuser=True)

    client = Client()
    admin_login(client, admin)
    page = client.get(f"/admin/documents/tradedocument/{document.pk}/change/")

    assert page.status_code == 200
    content = page.content.decode()
    assert f'<a href="/documents/{document.pk}/download/">{NUMBER}</a>' in content
    assert document.file.name not in content


# ---------- moving files stored before the private storage existed ----------


@pytest.fixture
def public_and_private(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private-media"
    return storages["default"], private_storage()


def test_private_files_move_moves_each_file_once(public_and_private):
    public, private = public_and_private
    public.save("documents/2026/a.pdf", ContentFile(b"%PDF-a"))
    public.save("documents/2026/b.pdf", ContentFile(b"%PDF-b"))

    moved = private_files_move(
        names=["documents/2026/a.pdf", "documents/2026/b.pdf", "documents/2026/gone.pdf", ""],
        source=public,
        target=private,
    )
    again = private_files_move(names=["documents/2026/a.pdf"], source=public, target=private)

    assert (moved, again) == (2, 0)
    assert not public.exists("documents/2026/a.pdf") and not public.exists("documents/2026/b.pdf")
    with private.open("documents/2026/a.pdf") as handle:
        assert handle.read() == b"%PDF-a"
    with private.open("documents/2026/b.pdf") as handle:
        assert handle.read() == b"%PDF-b"


def test_the_migration_moves_existing_trade_pdfs_out_of_media_root(public_and_private):
    public, private = public_and_private
    parties = order_with_parties()
    document = issue_document(order=parties.order, number=NUMBER)
    content = document_bytes(document)
    # As a document issued before the migration: its file in the public MEDIA_ROOT.
    public.save(document.file.name, ContentFile(content))
    private.delete(document.file.name)
    migration = importlib.import_module(
        "orders.documents.migrations.0002_trade_document_private_storage"
    )

    migration.files_to_private(django_apps, None)

    assert not public.exists(document.file.name)
    assert TradeDocument.objects.get(pk=document.pk).file.open("rb").read() == content
    migration.files_to_public(django_apps, None)
    assert public.exists(document.file.name) and not private.exists(document.file.name)


# ---------- configuration ----------


@pytest.mark.parametrize("inside", ["MEDIA_ROOT", "STATIC_ROOT"])
def test_a_private_folder_inside_a_served_one_is_a_system_check_error(settings, tmp_path, inside):
    setattr(settings, inside, tmp_path / "public")
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "public" / "private"

    errors = private_media_root_check()

    assert [(type(e), e.id) for e in errors] == [(Error, "storage.E001")]
    assert f"and {inside} ({(tmp_path / 'public').resolve()}) overlap" in errors[0].msg


def test_separate_folders_pass_the_system_check(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STATIC_ROOT = tmp_path / "static"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private-media"

    assert private_media_root_check() == []
