import pytest
from django.contrib.admin import helpers
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse

from marketplace.accounts.enums import DocumentKind, VerificationStatus
from marketplace.accounts.models import Company, CompanyVerificationEvent
from marketplace.accounts.services import DocumentUpload, company_verification_submit
from tests.accounts.conftest import pdf_upload
from tests.factories import CompanyFactory, MembershipFactory, UserFactory, admin_login

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:accounts_company_changelist")


@pytest.fixture
def superuser(client):
    user = UserFactory(email="admin@platform.example", is_staff=True, is_superuser=True)
    admin_login(client, user)
    return user


def pending_company(**kwargs) -> Company:
    return CompanyFactory(verification_status=VerificationStatus.PENDING, **kwargs)


def statuses(*companies: Company) -> list[str]:
    return [Company.objects.get(pk=c.pk).verification_status for c in companies]


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_company_changelist_lists_filters_and_searches_by_member_email(client, superuser):
    match = MembershipFactory(user__email="owner@findme.example", company__legal_name="Found Ltd")
    CompanyFactory(legal_name="Other Ltd")

    response = client.get(CHANGELIST, {"q": "findme"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [match.company]
    response = client.get(CHANGELIST, {"verification_status__exact": "pending"})
    assert list(response.context["cl"].result_list) == []


def test_company_change_page_shows_documents_and_events_read_only(client, superuser):
    membership = MembershipFactory()
    company_verification_submit(
        company=membership.company,
        actor=membership.user,
        documents=[DocumentUpload(kind=DocumentKind.OTHER, file=pdf_upload("deed.pdf"))],
    )

    response = client.get(reverse("admin:accounts_company_change", args=[membership.company.pk]))

    assert response.status_code == 200
    body = response.content.decode()
    document = membership.company.documents.get()
    assert f'<a href="/accounts/company/documents/{document.pk}/">deed.pdf</a>' in body
    assert "Submitted for review with 1 new document." in body


def test_admin_verify_action_verifies_pending_companies_and_emails_them(
    client, superuser, django_capture_on_commit_callbacks, celery_eager
):
    first = MembershipFactory(company=pending_company()).company
    second = pending_company()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            CHANGELIST,
            {"action": "verify_selected", helpers.ACTION_CHECKBOX_NAME: [first.pk, second.pk]},
        )

    assert response.status_code == 302
    assert statuses(first, second) == ["verified", "verified"]
    assert messages_of(response) == ["2 companies verified."]
    assert CompanyVerificationEvent.objects.filter(actor=superuser).count() == 2
    assert len(mail.outbox) == 1  # only the first company has a member to tell


def test_admin_verify_action_on_a_company_in_the_wrong_state_reports_an_error(client, superuser):
    pending = pending_company(legal_name="Pending Ltd")
    unverified = CompanyFactory(legal_name="Fresh Ltd")

    response = client.post(
        CHANGELIST,
        {"action": "verify_selected", helpers.ACTION_CHECKBOX_NAME: [pending.pk, unverified.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert statuses(pending, unverified) == ["verified", "unverified"]
    assert [str(m) for m in response.context["messages"]] == [
        "Fresh Ltd: not verified, because it is unverified; only companies pending review "
        "can be verified or rejected.",
        "1 company verified.",
    ]
    assert CompanyVerificationEvent.objects.filter(company=unverified).count() == 0


def test_admin_reject_action_first_asks_for_a_reason(client, superuser):
    company = pending_company(legal_name="Ask Me Ltd")

    response = client.post(
        CHANGELIST, {"action": "reject_selected", helpers.ACTION_CHECKBOX_NAME: [company.pk]}
    )

    assert response.status_code == 200
    assert response.templates[0].name == "accounts/admin/company_reject.html"
    assert "Ask Me Ltd" in response.content.decode()
    assert response.context["form"].errors == {}
    assert statuses(company) == ["pending"]


def test_admin_reject_action_without_a_reason_shows_the_form_again_and_changes_nothing(
    client, superuser
):
    company = pending_company()

    response = client.post(
        CHANGELIST,
        {
            "action": "reject_selected",
            helpers.ACTION_CHECKBOX_NAME: [company.pk],
            "apply": "1",
            "reason": "  ",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "reason": ["Give a reason for the rejection; the company will see it."]
    }
    assert statuses(company) == ["pending"]
    assert CompanyVerificationEvent.objects.count() == 0


def test_admin_reject_action_with_a_reason_rejects_and_emails_the_reason(
    client, superuser, django_capture_on_commit_callbacks, celery_eager
):
    company = MembershipFactory(
        user__email="owner@rejected.example", company=pending_company()
    ).company

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            CHANGELIST,
            {
                "action": "reject_selected",
                helpers.ACTION_CHECKBOX_NAME: [company.pk],
                "apply": "1",
                "reason": "The registration number does not match the certificate.",
            },
        )

    assert response.status_code == 302
    company.refresh_from_db()
    assert company.verification_status == VerificationStatus.REJECTED
    assert company.rejection_reason == "The registration number does not match the certificate."
    assert messages_of(response) == ["1 company rejected."]
    assert mail.outbox[0].to == ["owner@rejected.example"]
    assert "does not match the certificate" in mail.outbox[0].body


def test_admin_reject_action_on_a_verified_company_reports_an_error(client, superuser):
    company = CompanyFactory(verified=True, legal_name="Done Ltd")

    response = client.post(
        CHANGELIST,
        {
            "action": "reject_selected",
            helpers.ACTION_CHECKBOX_NAME: [company.pk],
            "apply": "1",
            "reason": "Second thoughts",
        },
    )

    assert response.status_code == 302
    assert statuses(company) == ["verified"]
    assert messages_of(response) == [
        "Done Ltd: not rejected, because it is verified; only companies pending review can be "
        "verified or rejected."
    ]


def test_admin_can_add_a_user_by_email(client, superuser):
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "New.Person@Example.com",
            "full_name": "New Person",
            "usable_password": "true",
            "password1": "a-long-and-unusual-passphrase",
            "password2": "a-long-and-unusual-passphrase",
        },
    )

    assert response.status_code == 302
    from marketplace.accounts.models import User

    assert User.objects.filter(email="new.person@example.com").exists()


def test_admin_user_add_refuses_an_email_taken_in_another_case(client, superuser):
    from marketplace.accounts.models import User

    UserFactory(email="taken@example.com")
    before = User.objects.count()

    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "TAKEN@example.com",
            "usable_password": "true",
            "password1": "a-long-and-unusual-passphrase",
            "password2": "a-long-and-unusual-passphrase",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == [
        "An account with this email address already exists."
    ]
    assert User.objects.count() == before
