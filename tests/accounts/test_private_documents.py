"""Verification documents are private files: stored under PRIVATE_MEDIA_ROOT with no URL,
downloaded only by the members of the company that uploaded them and by staff with the
permission accounts.view_verification_document, as attachments that are neither sniffed nor
kept in a shared cache."""

import importlib
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.test import Client
from django.urls import reverse

from marketplace.accounts.enums import DocumentKind
from marketplace.accounts.models import CompanyDocument
from marketplace.accounts.services import DocumentUpload, company_verification_submit
from tests.accounts.conftest import PDF_BYTES, pdf_upload
from tests.factories import MembershipFactory, UserFactory
from tests.permissions import grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def document() -> CompanyDocument:
    membership = MembershipFactory(company__legal_name="Nairobi Coffee Exporters Ltd")
    company_verification_submit(
        company=membership.company,
        actor=membership.user,
        documents=[
            DocumentUpload(
                kind=DocumentKind.REGISTRATION_CERTIFICATE, file=pdf_upload("certificate.pdf")
            )
        ],
    )
    return CompanyDocument.objects.get()


def _get(user, document: CompanyDocument):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get(reverse("accounts:company_document", args=[document.pk]))


def test_the_file_is_in_the_private_folder_and_has_no_url(settings, document):
    path = Path(document.file.path)

    assert path.is_relative_to(Path(settings.PRIVATE_MEDIA_ROOT).resolve())
    assert path.read_bytes() == PDF_BYTES
    assert not (Path(settings.MEDIA_ROOT) / document.file.name).exists()
    with pytest.raises(ValueError, match="A private file has no URL"):
        document.file.url  # noqa: B018
    assert Client().get(f"/media/{document.file.name}").status_code == 404


def test_a_member_gets_the_exact_bytes_with_private_headers(document):
    member = MembershipFactory(company=document.company).user

    response = _get(member, document)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="certificate.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store, max-age=0"


def test_anonymous_is_sent_to_sign_in(document):
    response = _get(None, document)

    assert response.status_code == 302
    assert response["Location"] == (
        f"/accounts/login/?next=/accounts/company/documents/{document.pk}/"
    )


def test_a_member_of_another_company_gets_404(document):
    response = _get(MembershipFactory().user, document)

    assert response.status_code == 404
    assert PDF_BYTES not in response.content


def test_staff_need_the_permission(document):
    staff = UserFactory(email="verification@platform.example", is_staff=True)

    without = _get(staff, document)
    with_permission = _get(grant(staff, "accounts.view_verification_document"), document)

    assert without.status_code == 404
    assert with_permission.status_code == 200
    assert b"".join(with_permission.streaming_content) == PDF_BYTES


def test_a_post_is_refused(document):
    client = Client()
    client.force_login(document.uploaded_by)

    response = client.post(reverse("accounts:company_document", args=[document.pk]))

    assert response.status_code == 405


def test_the_migration_moves_existing_documents_out_of_media_root(document):
    public, private = storages["default"], storages["private"]
    public.save(document.file.name, ContentFile(PDF_BYTES))
    private.delete(document.file.name)
    migration = importlib.import_module(
        "marketplace.accounts.migrations.0004_company_document_private_storage"
    )

    migration.files_to_private(django_apps, None)

    assert not public.exists(document.file.name)
    with private.open(document.file.name, "rb") as handle:
        assert handle.read() == PDF_BYTES
