import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from marketplace.accounts.enums import DocumentKind, MembershipRole, VerificationStatus
from marketplace.accounts.models import Company, CompanyDocument, CompanyVerificationEvent
from marketplace.accounts.services import DocumentUpload, company_verification_submit
from tests.accounts.conftest import PDF_BYTES, TEXT_BYTES, oversized_pdf_upload, pdf_upload
from tests.factories import CompanyFactory, MembershipFactory, UserFactory, staff_user

pytestmark = pytest.mark.django_db

PROFILE_URL = reverse("accounts:company_profile")
SWITCH_URL = reverse("accounts:company_switch")
VERIFICATION_URL = reverse("accounts:company_verification")


@pytest.fixture
def owner(client):
    membership = MembershipFactory(
        company__legal_name="Nairobi Coffee Exporters Ltd", company__country="KE"
    )
    client.force_login(membership.user)
    return membership


def profile_form(company: Company, **overrides) -> dict:
    data = {
        "legal_name": company.legal_name,
        "trading_name": company.trading_name,
        "country": company.country.code,
        "address_line1": company.address_line1,
        "city": company.city,
        "postal_code": company.postal_code,
        "registration_number": company.registration_number,
        "default_currency": company.default_currency,
        "sells": "on",
        "buys": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_pages_require_sign_in(client):
    for url in (PROFILE_URL, VERIFICATION_URL):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url == f"{reverse('accounts:login')}?next={url}"


def test_company_profile_shows_the_active_company(client, owner):
    response = client.get(PROFILE_URL)

    assert response.status_code == 200
    assert response.context["form"].initial["legal_name"] == "Nairobi Coffee Exporters Ltd"
    assert response.context["form"].initial["country"] == "KE"


def test_company_profile_saves_changes(client, owner):
    response = client.post(PROFILE_URL, profile_form(owner.company, city="Mombasa"))

    assert response.status_code == 302
    assert response.url == PROFILE_URL
    owner.company.refresh_from_db()
    assert owner.company.city == "Mombasa"


def test_company_profile_with_an_eori_number_in_kenya_is_refused(client, owner):
    response = client.post(PROFILE_URL, profile_form(owner.company, eori_number="KE123"))

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "eori_number": [
            "Companies registered in Kenya have no EORI number; leave this field blank."
        ]
    }
    owner.company.refresh_from_db()
    assert owner.company.eori_number == ""


def test_company_profile_is_read_only_for_staff_members(client):
    membership = MembershipFactory(role=MembershipRole.STAFF, company__legal_name="Harbour Imports")
    client.force_login(membership.user)

    page = client.get(PROFILE_URL)
    refused = client.post(PROFILE_URL, {"legal_name": "Taken Over Ltd"})

    assert page.status_code == 200
    assert page.context["can_edit"] is False
    assert all(field.disabled for field in page.context["form"].fields.values())
    assert "Save profile" not in page.content.decode()
    assert refused.status_code == 403
    membership.company.refresh_from_db()
    assert membership.company.legal_name == "Harbour Imports"


def test_company_profile_of_a_user_without_company_is_404(client):
    client.force_login(UserFactory())

    assert client.get(PROFILE_URL).status_code == 404


def test_company_switch_sets_the_active_company_and_returns_to_next(client, owner):
    other = MembershipFactory(user=owner.user, role=MembershipRole.STAFF).company

    response = client.post(SWITCH_URL, {"company_id": other.pk, "next": "/accounts/company/"})

    assert response.status_code == 302
    assert response.url == "/accounts/company/"
    assert client.session["active_company_id"] == other.pk
    assert client.get(VERIFICATION_URL).context["company"] == other


def test_company_switch_to_a_company_that_is_not_yours_is_404(client, owner):
    foreign = CompanyFactory()
    client.post(SWITCH_URL, {"company_id": owner.company.pk})

    response = client.post(SWITCH_URL, {"company_id": foreign.pk})

    assert response.status_code == 404
    assert client.session["active_company_id"] == owner.company.pk


def test_company_switch_ignores_an_offsite_next(client, owner):
    response = client.post(
        SWITCH_URL, {"company_id": owner.company.pk, "next": "https://evil.example/"}
    )

    assert response.url == reverse("home")


def test_company_switch_is_post_only(client, owner):
    assert client.get(SWITCH_URL, {"company_id": owner.company.pk}).status_code == 405


def test_verification_page_submits_documents_and_shows_them(client, owner):
    response = client.post(
        VERIFICATION_URL,
        {
            "registration_certificate": pdf_upload("Certificate of incorporation.pdf"),
            "other_documents": [
                SimpleUploadedFile("a.pdf", PDF_BYTES, content_type="application/pdf"),
                SimpleUploadedFile("b.pdf", PDF_BYTES, content_type="application/pdf"),
            ],
        },
    )

    assert response.status_code == 302
    owner.company.refresh_from_db()
    assert owner.company.verification_status == VerificationStatus.PENDING
    assert sorted(CompanyDocument.objects.values_list("kind", "original_name")) == [
        ("other", "a.pdf"),
        ("other", "b.pdf"),
        ("registration_certificate", "Certificate of incorporation.pdf"),
    ]
    page = client.get(VERIFICATION_URL)
    body = page.content.decode()
    assert "Certificate of incorporation.pdf" in body
    assert page.context["can_submit"] is False


def _refused(client, company, data) -> dict:
    response = client.post(VERIFICATION_URL, data)
    assert response.status_code == 200
    company.refresh_from_db()
    assert company.verification_status == VerificationStatus.UNVERIFIED
    assert CompanyDocument.objects.count() == 0
    assert CompanyVerificationEvent.objects.count() == 0
    return response.context["form"].errors


def test_verification_with_a_text_file_named_pdf_is_refused_inline(client, owner):
    fake = SimpleUploadedFile("certificate.pdf", TEXT_BYTES, content_type="application/pdf")

    errors = _refused(client, owner.company, {"registration_certificate": fake})

    assert errors == {
        "registration_certificate": [
            "“certificate.pdf” is named as a PDF but its content is not a PDF. "
            "Upload a real PDF, PNG, JPEG or WebP file."
        ]
    }


def test_verification_with_an_oversized_file_is_refused_inline(client, owner):
    errors = _refused(client, owner.company, {"tax_certificate": oversized_pdf_upload()})

    assert errors == {"tax_certificate": ["“huge.pdf” is 10.1 MB, over the 10 MB limit."]}


def test_verification_without_documents_is_refused_inline(client, owner):
    errors = _refused(client, owner.company, {})

    assert errors == {
        "registration_certificate": [
            "Upload at least one document, such as the registration certificate."
        ]
    }


def test_verification_page_shows_the_rejection_reason(client, owner):
    Company.objects.filter(pk=owner.company.pk).update(
        verification_status=VerificationStatus.REJECTED, rejection_reason="Scan is unreadable."
    )

    response = client.get(VERIFICATION_URL)

    assert "Reason: Scan is unreadable." in response.content.decode()
    assert response.context["can_submit"] is True


def test_document_download_is_for_members_and_platform_staff_only(client, owner):
    company_verification_submit(
        company=owner.company,
        actor=owner.user,
        documents=[DocumentUpload(kind=DocumentKind.OTHER, file=pdf_upload("deed.pdf"))],
    )
    document = CompanyDocument.objects.get()
    url = reverse("accounts:company_document", args=[document.pk])

    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="deed.pdf"'
    assert b"".join(response.streaming_content) == PDF_BYTES

    client.force_login(MembershipFactory().user)
    assert client.get(url).status_code == 404

    client.force_login(UserFactory(is_staff=True))  # staff without the permission
    assert client.get(url).status_code == 404

    client.force_login(staff_user("verification"))
    assert client.get(url).status_code == 200


def test_verification_submit_by_a_staff_member_is_forbidden(client):
    membership = MembershipFactory(role=MembershipRole.STAFF)
    client.force_login(membership.user)

    page = client.get(VERIFICATION_URL)
    response = client.post(VERIFICATION_URL, {"registration_certificate": pdf_upload()})

    assert page.context["can_submit"] is False
    assert response.status_code == 403
    membership.company.refresh_from_db()
    assert membership.company.verification_status == VerificationStatus.UNVERIFIED
    assert CompanyDocument.objects.count() == 0
