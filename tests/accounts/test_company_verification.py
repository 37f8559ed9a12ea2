import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from marketplace.accounts.enums import DocumentKind, MembershipRole, VerificationStatus
from marketplace.accounts.models import Company, CompanyDocument, CompanyVerificationEvent
from marketplace.accounts.services import (
    DocumentUpload,
    company_reject,
    company_verification_result_notify,
    company_verification_submit,
    company_verify,
)
from marketplace.core.exceptions import DomainError, InvalidTransition
from tests.accounts.conftest import TEXT_BYTES, oversized_pdf_upload, pdf_upload, png_upload
from tests.factories import CompanyFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return MembershipFactory(
        user__email="owner@schmidt.example",
        company__legal_name="Schmidt GmbH",
        role=MembershipRole.OWNER,
    )


def _state(company: Company) -> tuple:
    company.refresh_from_db()
    return (
        company.verification_status,
        company.rejection_reason,
        CompanyDocument.objects.filter(company=company).count(),
        CompanyVerificationEvent.objects.filter(company=company).count(),
    )


def _submit(membership, *documents):
    return company_verification_submit(
        company=membership.company, actor=membership.user, documents=list(documents)
    )


def test_submit_moves_an_unverified_company_to_pending_and_stores_the_documents(owner, settings):
    company = _submit(
        owner,
        DocumentUpload(kind=DocumentKind.REGISTRATION_CERTIFICATE, file=pdf_upload()),
        DocumentUpload(kind=DocumentKind.TAX_CERTIFICATE, file=png_upload("Tax Cert.png")),
    )

    assert company.verification_status == VerificationStatus.PENDING
    documents = list(CompanyDocument.objects.filter(company=company).order_by("id"))
    assert [(d.kind, d.original_name, d.content_type, d.uploaded_by) for d in documents] == [
        ("registration_certificate", "registration.pdf", "application/pdf", owner.user),
        ("tax_certificate", "Tax Cert.png", "image/png", owner.user),
    ]
    first = documents[0]
    folder, _, stored_name = first.file.name.rpartition("/")
    assert folder == f"companies/{company.pk}/documents"
    assert stored_name != "registration.pdf"
    assert len(stored_name) == len("0" * 32 + ".pdf")
    assert (settings.PRIVATE_MEDIA_ROOT / first.file.name).read_bytes().startswith(b"%PDF-")
    assert first.size == (settings.PRIVATE_MEDIA_ROOT / first.file.name).stat().st_size
    assert not (settings.MEDIA_ROOT / first.file.name).exists()
    event = CompanyVerificationEvent.objects.get(company=company)
    assert (event.actor, event.from_status, event.to_status, event.note) == (
        owner.user,
        "unverified",
        "pending",
        "Submitted for review with 2 new documents.",
    )


def test_submit_after_rejection_clears_the_reason_and_may_reuse_earlier_documents(owner):
    _submit(owner, DocumentUpload(kind=DocumentKind.OTHER, file=pdf_upload()))
    Company.objects.filter(pk=owner.company.pk).update(
        verification_status=VerificationStatus.REJECTED, rejection_reason="Blurry scan"
    )

    company = _submit(owner)

    assert _state(company) == (VerificationStatus.PENDING, "", 1, 2)


def test_submit_without_any_document_on_file_is_refused(owner):
    before = _state(owner.company)

    with pytest.raises(DomainError) as excinfo:
        _submit(owner)

    assert (excinfo.value.field, excinfo.value.message) == (
        "documents",
        "Upload at least one document, such as the registration certificate.",
    )
    assert _state(owner.company) == before


def test_submit_with_a_fake_pdf_is_refused_and_stores_nothing(owner, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("certificate.pdf", TEXT_BYTES, content_type="application/pdf")
    before = _state(owner.company)

    with pytest.raises(DomainError) as excinfo:
        _submit(
            owner,
            DocumentUpload(kind=DocumentKind.TAX_CERTIFICATE, file=png_upload()),
            DocumentUpload(kind=DocumentKind.REGISTRATION_CERTIFICATE, file=fake),
        )

    assert excinfo.value.code == "content_mismatch"
    assert _state(owner.company) == before
    assert not (settings.PRIVATE_MEDIA_ROOT / "companies").exists()


def test_submit_with_an_oversized_file_is_refused(owner):
    before = _state(owner.company)

    with pytest.raises(DomainError) as excinfo:
        _submit(owner, DocumentUpload(kind=DocumentKind.OTHER, file=oversized_pdf_upload()))

    assert excinfo.value.code == "file_too_large"
    assert _state(owner.company) == before


def test_submit_of_a_pending_company_is_an_invalid_transition(owner, settings):
    _submit(owner, DocumentUpload(kind=DocumentKind.OTHER, file=pdf_upload()))
    before = _state(owner.company)

    with pytest.raises(InvalidTransition) as excinfo:
        _submit(owner, DocumentUpload(kind=DocumentKind.OTHER, file=pdf_upload("second.pdf")))

    assert (excinfo.value.current, excinfo.value.target) == ("pending", "pending")
    assert _state(owner.company) == before
    stored = list(
        (settings.PRIVATE_MEDIA_ROOT / f"companies/{owner.company.pk}/documents").iterdir()
    )
    assert len(stored) == 1


def test_submit_by_a_staff_member_of_the_company_is_refused(owner):
    staff = MembershipFactory(company=owner.company, role=MembershipRole.STAFF)
    before = _state(owner.company)

    with pytest.raises(PermissionDenied):
        _submit(staff, DocumentUpload(kind=DocumentKind.OTHER, file=pdf_upload()))

    assert _state(owner.company) == before


def test_submit_by_an_outsider_is_refused():
    company = CompanyFactory()
    outsider = MembershipFactory()
    before = _state(company)

    with pytest.raises(PermissionDenied):
        company_verification_submit(
            company=company,
            actor=outsider.user,
            documents=[DocumentUpload(kind=DocumentKind.OTHER, file=pdf_upload())],
        )

    assert _state(company) == before


def test_verify_marks_a_pending_company_verified_and_emails_its_managers(
    owner, staff_user, django_capture_on_commit_callbacks, celery_eager
):
    company = owner.company
    Company.objects.filter(pk=company.pk).update(verification_status=VerificationStatus.PENDING)
    MembershipFactory(company=company, user__email="staff@schmidt.example", role="staff")
    MembershipFactory(company=company, user__email="admin@schmidt.example", role="admin")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        verified = company_verify(company=company, actor=staff_user)

    assert len(callbacks) == 1
    assert verified.verification_status == VerificationStatus.VERIFIED
    assert verified.verified_at is not None
    event = CompanyVerificationEvent.objects.get(company=company)
    assert (event.actor, event.from_status, event.to_status) == (staff_user, "pending", "verified")
    assert event.notified_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["admin@schmidt.example", "owner@schmidt.example"]
    assert mail.outbox[0].subject == "Schmidt GmbH is now verified on Open Trade Marketplace"


def test_reject_records_the_reason_and_emails_it(
    owner, staff_user, django_capture_on_commit_callbacks, celery_eager
):
    Company.objects.filter(pk=owner.company.pk).update(
        verification_status=VerificationStatus.PENDING
    )

    with django_capture_on_commit_callbacks(execute=True):
        rejected = company_reject(
            company=owner.company, actor=staff_user, reason="  The certificate is unreadable. "
        )

    assert rejected.verification_status == VerificationStatus.REJECTED
    assert rejected.rejection_reason == "The certificate is unreadable."
    event = CompanyVerificationEvent.objects.get(company=owner.company)
    assert (event.from_status, event.to_status, event.note) == (
        "pending",
        "rejected",
        "The certificate is unreadable.",
    )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["owner@schmidt.example"]
    assert mail.outbox[0].subject == "Schmidt GmbH: verification needs changes"
    assert "The certificate is unreadable." in mail.outbox[0].body
    assert "/accounts/company/verification/" in mail.outbox[0].body


def test_reject_without_a_reason_is_refused(owner, staff_user, django_capture_on_commit_callbacks):
    Company.objects.filter(pk=owner.company.pk).update(
        verification_status=VerificationStatus.PENDING
    )
    before = _state(owner.company)

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(DomainError) as excinfo:
        company_reject(company=owner.company, actor=staff_user, reason="   ")

    assert (excinfo.value.field, excinfo.value.message) == (
        "reason",
        "Give a reason for the rejection; the company will see it.",
    )
    assert _state(owner.company) == before
    assert callbacks == []


@pytest.mark.parametrize(
    "status", [VerificationStatus.UNVERIFIED, VerificationStatus.VERIFIED, "rejected"]
)
def test_verify_of_a_company_not_pending_is_an_invalid_transition(
    status, staff_user, django_capture_on_commit_callbacks
):
    company = CompanyFactory(
        verification_status=status, rejection_reason="Old" if status == "rejected" else ""
    )
    before = _state(company)

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(InvalidTransition):
        company_verify(company=company, actor=staff_user)

    assert _state(company) == before
    assert callbacks == []


def test_verify_by_someone_who_is_not_platform_staff_is_refused(owner):
    Company.objects.filter(pk=owner.company.pk).update(
        verification_status=VerificationStatus.PENDING
    )
    before = _state(owner.company)

    with pytest.raises(PermissionDenied):
        company_verify(company=owner.company, actor=owner.user)

    assert _state(owner.company) == before


def test_verification_result_email_is_sent_once_even_if_the_task_runs_twice(
    owner, staff_user, django_capture_on_commit_callbacks
):
    Company.objects.filter(pk=owner.company.pk).update(
        verification_status=VerificationStatus.PENDING
    )
    with django_capture_on_commit_callbacks(execute=False):
        company_verify(company=owner.company, actor=staff_user)
    event = CompanyVerificationEvent.objects.get(company=owner.company)

    assert company_verification_result_notify(event_id=event.pk) is True
    assert company_verification_result_notify(event_id=event.pk) is False

    assert len(mail.outbox) == 1
