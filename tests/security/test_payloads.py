"""Script injection, proven absent: an HTML/JS payload in every free-text field a party (or a
staff member) can set, then every page, email and PDF that shows it to another party or to
staff. In HTML it is always escaped (the escaped form is there, the raw one never, and no
element or attribute comes out of it); in plain-text emails and in PDFs it is literal text.

Each field gets its own payload, ``P("tag")`` (or ``S("tag")`` where the column is short), so
that a page is checked for exactly the fields it shows. The rows are written directly (as an
API client or a careless import could leave them), not through the forms' validation.
"""

import io
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from pypdf import PdfReader

from listings import services as listing_services
from listings.enums import ImageStatus, ListingStatus
from listings.models import ListingImage
from marketplace.accounts import services as account_services
from marketplace.accounts.enums import DocumentKind as CompanyDocumentKind
from marketplace.accounts.enums import VerificationStatus
from marketplace.accounts.models import Company, CompanyDocument
from orders import services as order_services
from orders.documents import services as document_services
from orders.documents.enums import DocumentKind
from orders.models import Dispute, Order, OrderEvent
from payments.enums import PayoutMethod
from payments.models import ConnectedAccount
from tests.factories import CompanyFactory, MembershipFactory, UserFactory, admin_login
from tests.listings.factories import ListingFactory, image_bytes
from tests.orders.factories import ship_to
from tests.security.sessions import signed_in

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


def P(tag: str) -> str:
    """The payload of one field: a marker, a script element, an image with a handler, and both
    quotes (to break out of an attribute)."""
    return f"{tag}{SCRIPT}{IMG}\"'"


def S(tag: str) -> str:
    """The payload of a short column (at most 20 characters)."""
    return f"{tag}<xss>x</xss>\"'"


def company_with_payloads(prefix: str, **fields) -> Company:
    return CompanyFactory(
        legal_name=P(f"{prefix}-legal"),
        trading_name=P(f"{prefix}-trading"),
        address_line1=P(f"{prefix}-addr1"),
        address_line2=P(f"{prefix}-addr2"),
        city=P(f"{prefix}-city"),
        region=P(f"{prefix}-region"),
        postal_code=S(f"{prefix[0]}PC"),
        registration_number=P(f"{prefix[0]}R"),
        vat_number=P(f"{prefix[0]}V"),
        eori_number=S("EO"),
        **fields,
    )


class _Structure(HTMLParser):
    """Every element and attribute of a page, as a browser's parser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inline_scripts = 0
        self.handlers: list[tuple[str, str]] = []
        self.img_sources: list[str] = []
        self.probe_elements = 0
        self._script_open = False

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        self.handlers += [(tag, name) for name, _ in attrs if name.startswith("on")]
        if tag == "script":
            self._script_open = "src" not in names
        if tag == "img":
            self.img_sources.append(names.get("src") or "")
        if tag == "xss":
            self.probe_elements += 1

    def handle_endtag(self, tag):
        if tag == "script":
            self._script_open = False

    def handle_data(self, data):
        if self._script_open and data.strip():
            self.inline_scripts += 1


def assert_html_safe(html: str, *, shows: list[str] = (), shows_short: list[str] = ()) -> None:
    """No payload came through as markup, and each field in ``shows`` is there escaped."""
    assert SCRIPT not in html
    assert IMG not in html
    assert "<xss>" not in html
    structure = _Structure()
    structure.feed(html)
    assert structure.inline_scripts == 0
    assert structure.handlers == []
    assert "x" not in structure.img_sources
    assert structure.probe_elements == 0
    missing = [tag for tag in shows if escape(P(tag)) not in html]
    missing += [tag for tag in shows_short if escape(S(tag)) not in html]
    assert missing == []


def page(client: Client, url: str, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(fx_rates):
    """Two parties, a listing, and orders through their lifecycle, every text a payload."""
    staff = UserFactory(full_name=P("staff-name"), is_staff=True, is_superuser=True)
    seller = company_with_payloads(
        "seller", sells=True, buys=False, verified=True, slug="hostile-seller"
    )
    seller_user = MembershipFactory(company=seller, user__full_name=P("seller-user")).user
    buyer = company_with_payloads("buyer", sells=False, buys=True, country="DE")
    buyer_user = MembershipFactory(company=buyer, user__full_name=P("buyer-user")).user
    ConnectedAccount.objects.create(
        company=seller,
        method=PayoutMethod.BANK_TRANSFER,
        bank_account_holder=P("holder"),
        bank_name=P("bank"),
        bank_iban="DE89370400440532013000",
        bank_swift="COBADEFFXXX",
        bank_country="DE",
    )
    listing = ListingFactory(
        seller=seller,
        published=True,
        title=P("title"),
        description=P("description"),
        ship_from=P("ship-from"),
        moq=100,
        stock=10_000,
        incoterms=["FOB", "CIF"],
        tiers=[(100, "1.2000"), (1000, "1.0500")],
    )
    image = ListingImage(
        listing=listing, alt_text=P("alt"), content_type="image/png", status=ImageStatus.READY
    )
    content = image_bytes(size=(40, 30))
    for field in ("original", "card", "detail"):
        getattr(image, field).save(f"{field}.png", ContentFile(content), save=False)
    image.size_bytes, image.width, image.height = len(content), 40, 30
    image.save()
    address = ship_to(
        name=P("shipto-name"),
        line1=P("shipto-line1"),
        line2=P("shipto-line2"),
        city=P("shipto-city"),
        region=P("shipto-region"),
        postal_code=S("SHPC"),
    )

    def placed() -> Order:
        return order_services.order_place(
            buyer=buyer,
            actor=buyer_user,
            lines=[order_services.LineInput(listing_id=listing.pk, quantity=1000)],
            incoterm="CIF",
            named_place=P("named-place"),
            ship_to=address,
            buyer_reference=P("ref"),
        )

    probe = placed()  # stays placed: the seller's "Confirm order" form
    disputed = placed()
    order_services.order_confirm(
        order=disputed, actor=seller_user, freight=Decimal("100"), insurance=Decimal("5")
    )
    order_services.order_mark_paid(order=disputed)
    order_services.order_ship(
        order=disputed,
        actor=seller_user,
        carrier=P("carrier"),
        tracking_number=P("tracking"),
    )
    order_services.order_confirm_delivery(order=disputed, actor=buyer_user)
    order_services.order_dispute_open(order=disputed, actor=buyer_user, reason=P("dispute"))
    cancelled = placed()
    order_services.order_cancel(
        order=cancelled, actor=buyer_user, company=buyer, reason=P("cancel")
    )
    rejected = ListingFactory(seller=seller, pending=True, title=P("rejected-title"))
    listing_services.listing_reject(listing=rejected, actor=staff, reason=P("listing-reject"))
    applicant = company_with_payloads("applicant", verification_status=VerificationStatus.PENDING)
    applicant_user = MembershipFactory(company=applicant, user__full_name=P("applicant")).user
    CompanyDocument.objects.create(
        company=applicant,
        kind=CompanyDocumentKind.values[0],
        file=ContentFile(b"%PDF-1.4 test", name="registration.pdf"),
        original_name=P("filename"),
        content_type="application/pdf",
        size=13,
        uploaded_by=applicant_user,
    )
    account_services.company_reject(company=applicant, actor=staff, reason=P("company-reject"))
    return {
        "staff": staff,
        "seller": seller,
        "seller_user": seller_user,
        "buyer": buyer,
        "buyer_user": buyer_user,
        "listing": listing,
        "rejected": rejected,
        "probe": probe,
        "disputed": disputed,
        "cancelled": cancelled,
        "applicant": applicant,
        "applicant_user": applicant_user,
    }


COMPANY_TEXT = ["legal", "addr1", "addr2", "city", "region"]
SHIP_TO = ["shipto-name", "shipto-line1", "shipto-line2", "shipto-city", "shipto-region"]


def test_probe_named_place_is_escaped_in_the_sellers_confirm_form(world):
    """The issue's probe: a buyer's named place once ran script in the seller's order page."""
    html = page(
        signed_in(world["seller_user"], world["seller"]),
        reverse("orders:detail", args=[world["probe"].pk]),
    )

    assert_html_safe(html, shows=["named-place"])
    assert (
        '<p class="help" id="id_freight_helptext">'
        "Under CIF you pay the main carriage to the named place.</p>"
    ) in html
    assert (
        '<p class="help" id="id_insurance_helptext">'
        "Under CIF you insure the goods (110 % of the CIF value).</p>"
    ) in html


def test_order_pages_escape_the_other_partys_text(world):
    seller = signed_in(world["seller_user"], world["seller"])
    buyer = signed_in(world["buyer_user"], world["buyer"])
    order_texts = ["named-place", "ref", "title", *SHIP_TO]

    for order in (world["probe"], world["disputed"], world["cancelled"]):
        url = reverse("orders:detail", args=[order.pk])
        assert_html_safe(page(seller, url), shows=[*order_texts, "buyer-trading"])
        assert_html_safe(page(buyer, url), shows=[*order_texts, "seller-trading"])
    # What an admin writes when resolving the dispute, shown to both parties.
    Dispute.objects.filter(order=world["disputed"]).update(resolution_note=P("resolution"))
    disputed = reverse("orders:detail", args=[world["disputed"].pk])
    for client in (seller, buyer):
        assert_html_safe(
            page(client, disputed), shows=["carrier", "tracking", "dispute", "resolution"]
        )
    cancelled = reverse("orders:detail", args=[world["cancelled"].pk])
    assert_html_safe(page(seller, cancelled), shows=["cancel"])
    assert_html_safe(page(seller, reverse("orders:list")), shows=["buyer-trading", "named-place"])
    assert_html_safe(page(buyer, reverse("orders:list")), shows=["seller-trading", "named-place"])


def test_pay_page_escapes_the_sellers_names_and_the_named_place(world):
    buyer = signed_in(world["buyer_user"], world["buyer"])
    order = order_services.order_confirm(
        order=world["probe"],
        actor=world["seller_user"],
        freight=Decimal("1"),
        insurance=Decimal("1"),
    )

    html = page(buyer, reverse("payments:order-pay", args=[order.pk]))

    assert_html_safe(html, shows=["seller-trading", "named-place"])


def test_catalogue_pages_escape_the_sellers_text(world):
    listing = world["listing"]
    url = reverse("listings:detail", args=[listing.pk])
    buyer = signed_in(world["buyer_user"], world["buyer"])
    listing_texts = ["title", "ship-from", "alt", "seller-trading"]

    # Twice each: once rendered, once from the fragment and page caches.
    for _ in range(2):
        anonymous = page(Client(), url)
        assert_html_safe(anonymous, shows=listing_texts)
        signed = page(buyer, url)
        assert_html_safe(signed, shows=listing_texts)
    for html in (anonymous, signed):
        # The description is Markdown: its raw HTML stays text.
        assert f"description{escape(SCRIPT)}{escape(IMG)}" in html
    assert_html_safe(page(Client(), reverse("listings:search")), shows=["title", "seller-trading"])
    assert_html_safe(
        page(Client(), reverse("listings:search"), q="alert", HTTP_HX_REQUEST="true"),
        shows=["title"],
    )
    assert_html_safe(
        page(Client(), reverse("listings:storefront", args=[world["seller"].slug])),
        shows=["title", "seller-trading"],
    )


def test_cart_and_checkout_escape_the_sellers_text_and_the_buyers_address(world):
    buyer = signed_in(world["buyer_user"], world["buyer"])
    response = buyer.post(
        reverse("orders:cart_add"), {"listing": world["listing"].pk, "quantity": "100"}, follow=True
    )

    assert response.status_code == 200
    # The "added" message quotes the title: escaped like everything else.
    assert_html_safe(response.content.decode(), shows=["title", "seller-trading"])
    assert_html_safe(page(buyer, reverse("orders:cart")), shows=["title", "seller-trading"])
    assert_html_safe(
        page(buyer, reverse("orders:checkout")),
        shows=["title", "seller-trading", "buyer-trading", "buyer-addr1", "buyer-city"],
        shows_short=["bPC"],
    )


def test_seller_pages_escape_listing_text_reasons_and_bank_details(world):
    seller = signed_in(world["seller_user"], world["seller"])

    assert_html_safe(
        page(seller, reverse("listings:my_listings")), shows=["title", "rejected-title"]
    )
    assert_html_safe(
        page(seller, reverse("listings:edit", args=[world["rejected"].pk])),
        shows=["rejected-title", "listing-reject"],
    )
    assert_html_safe(page(seller, reverse("payments:payout-account")), shows=["holder", "bank"])
    assert_html_safe(
        page(seller, reverse("accounts:company_profile")),
        shows=[f"seller-{name}" for name in COMPANY_TEXT],
    )


def test_verification_page_escapes_the_rejection_reason_and_file_names(world):
    client = signed_in(world["applicant_user"], world["applicant"])

    html = page(client, reverse("accounts:company_verification"))

    assert_html_safe(html, shows=["company-reject", "filename", "applicant-trading"])


def test_listing_messages_escape_the_title(world):
    seller = signed_in(world["seller_user"], world["seller"])
    draft = ListingFactory(seller=world["seller"], title=P("draft-title"))

    response = seller.post(reverse("listings:submit", args=[draft.pk]), follow=True)

    assert response.status_code == 200
    html = response.content.decode()
    assert f"“{escape(P('draft-title'))}” is submitted for review." in html
    assert_html_safe(html, shows=["draft-title"])


ADMIN_PAGES = [
    ("accounts", "company", "applicant", ["applicant-legal", "company-reject", "filename"]),
    ("accounts", "company", "seller", [f"seller-{name}" for name in COMPANY_TEXT]),
    ("accounts", "user", "buyer_user", ["buyer-user"]),
    ("listings", "listing", "listing", ["title", "ship-from", "alt", "seller-trading"]),
    ("listings", "listing", "rejected", ["rejected-title", "listing-reject"]),
    ("orders", "order", "disputed", ["named-place", "ref", *SHIP_TO, "dispute"]),
    ("orders", "order", "cancelled", ["cancel", "named-place"]),
]


@pytest.mark.parametrize(("app", "model", "key", "shows"), ADMIN_PAGES)
def test_admin_change_list_and_form_escape_party_text(world, app, model, key, shows):
    staff = Client()
    admin_login(staff, world["staff"])
    obj = world[key]
    if model == "user":
        obj = get_user_model().objects.get(pk=obj.pk)

    change = page(staff, reverse(f"admin:{app}_{model}_change", args=[obj.pk]))
    listing_page = page(staff, reverse(f"admin:{app}_{model}_changelist"))

    assert_html_safe(change, shows=shows)
    assert_html_safe(listing_page)


def test_admin_money_pages_escape_bank_details_and_disputes(world):
    staff = Client()
    admin_login(staff, world["staff"])
    account = ConnectedAccount.objects.get(company=world["seller"])
    dispute = world["disputed"].dispute

    assert_html_safe(
        page(staff, reverse("admin:payments_connectedaccount_changelist")),
        shows=["seller-trading"],
    )
    assert_html_safe(
        page(staff, reverse("admin:payments_connectedaccount_change", args=[account.pk])),
        shows=["holder", "bank"],
    )
    assert_html_safe(page(staff, reverse("admin:payments_disputecase_changelist")))
    assert_html_safe(
        page(staff, reverse("admin:payments_disputecase_change", args=[dispute.pk])),
        shows=["dispute"],
    )
    assert_html_safe(
        page(staff, reverse("admin:listings_pendinglisting_changelist")),
    )


def test_emails_carry_the_text_as_plain_text(world):
    mail.outbox.clear()
    orders = [world["disputed"], world["cancelled"]]
    for event in OrderEvent.objects.filter(order__in=orders).order_by("pk"):
        order_services.order_event_notify(event_id=event.pk)
    for event in world["rejected"].events.order_by("pk"):
        listing_services.listing_moderation_notify(event_id=event.pk)
    for event in world["applicant"].verification_events.order_by("pk"):
        account_services.company_verification_result_notify(event_id=event.pk)

    assert mail.outbox
    texts = "\n".join(f"{message.subject}\n{message.body}" for message in mail.outbox)
    for message in mail.outbox:
        # Plain text only: nothing for a mail client to render as HTML.
        assert message.alternatives == []
        assert message.content_subtype == "plain"
        assert "&lt;" not in message.body
        assert "&lt;" not in message.subject
        assert "\n" not in message.subject
    shown = [
        "listing-reject",
        "company-reject",
        "rejected-title",
        "seller-trading",
        "buyer-trading",
        "applicant-trading",
        "carrier",
        "tracking",
        "dispute",
        "cancel",
    ]
    assert [tag for tag in shown if P(tag) not in texts] == []


def _pdf_text(document) -> str:
    with document.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def test_trade_documents_show_the_text_literally(world):
    order = world["disputed"]
    squeeze = lambda text: re.sub(r"\s+", "", text)  # noqa: E731 - PDF lines wrap anywhere

    texts = {
        kind: _pdf_text(document_services.trade_document_generate(order_id=order.pk, kind=kind))
        for kind in DocumentKind.values
    }

    for kind, text in texts.items():
        assert squeeze(P("seller-legal")) in text, kind
        assert squeeze(P("shipto-name")) in text, kind
        assert "&lt;" not in text, kind
    for kind in (DocumentKind.PROFORMA_INVOICE, DocumentKind.COMMERCIAL_INVOICE):
        assert squeeze(P("buyer-legal")) in texts[kind], kind
    assert squeeze(P("title")) in texts[DocumentKind.COMMERCIAL_INVOICE]
    assert squeeze(P("named-place")) in texts[DocumentKind.COMMERCIAL_INVOICE]


def test_public_verification_page_escapes_the_issuers_names(world):
    order = world["disputed"]
    document = document_services.trade_document_generate(
        order_id=order.pk, kind=DocumentKind.COMMERCIAL_INVOICE
    )

    html = page(Client(), reverse("documents:verify_detail", args=[document.verification_code]))

    assert_html_safe(html, shows=["seller-legal"])


def test_listing_rejection_admin_page_escapes_the_title(world):
    staff = Client()
    admin_login(staff, world["staff"])
    pending = ListingFactory(seller=world["seller"], pending=True, title=P("pending-title"))
    assert pending.status == ListingStatus.PENDING_REVIEW

    html = page(staff, reverse("admin:listings_pendinglisting_changelist"))

    assert_html_safe(html, shows=["pending-title"])


def test_every_admin_change_list_and_change_form_escapes_what_it_shows(world):
    """Every model in the admin: its change list, and the change form of each of its rows."""
    from django.contrib import admin

    staff = Client()
    admin_login(staff, world["staff"])
    visited = 0
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        changelist = staff.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert changelist.status_code == 200, opts.label
        assert_html_safe(changelist.content.decode())
        for pk in model_admin.get_queryset(_request_of(world["staff"])).values_list(
            "pk", flat=True
        )[:5]:
            change = staff.get(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk])
            )
            assert change.status_code == 200, (opts.label, pk)
            assert_html_safe(change.content.decode())
            visited += 1
    assert visited >= 20


def _request_of(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_admin_action_messages_escape_the_listing_title(world):
    staff = Client()
    admin_login(staff, world["staff"])
    listing = world["listing"]  # published: approving it again is refused, quoting its title

    response = staff.post(
        reverse("admin:listings_listing_changelist"),
        {"action": "approve_selected", "_selected_action": [listing.pk]},
        follow=True,
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert f"“{escape(P('title'))}”: not approved, because it is published;" in html
    assert_html_safe(html, shows=["title"])
    listing.refresh_from_db()
    assert listing.status == ListingStatus.PUBLISHED
