"""Quotes: submit, revise, withdraw, decline, expire, with every refusal proving nothing
changed. Acceptance is in test_quote_accept.py."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from marketplace.accounts.enums import VerificationStatus
from marketplace.core.exceptions import Conflict, InvalidTransition, NotFound
from orders.conversations.models import Message, MessageKind
from orders.quotes import services
from orders.quotes.models import Quote, QuoteEvent, QuoteLine, QuoteStatus
from orders.rfqs.models import RFQStatus
from tests.factories import CompanyFactory, MembershipFactory
from tests.listings.factories import ListingFactory
from tests.orders.factories import buyer_member, seller_member
from tests.quotes.factories import conversation_about, line, rfq_open, submit, terms

pytestmark = pytest.mark.django_db


def notify_now(*quotes: Quote) -> None:
    """What the worker does with the enqueued tasks (the test settings do not run them)."""
    from orders.quotes.notifications import quote_event_notify

    for quote in quotes:
        for event in quote.events.all():
            quote_event_notify(event_id=event.pk)


def state() -> dict[str, object]:
    """Everything a refused quote request must leave as it was."""
    return {
        "quotes": list(Quote.objects.order_by("pk").values_list("pk", "status", "version")),
        "lines": QuoteLine.objects.count(),
        "events": QuoteEvent.objects.count(),
        "messages": Message.objects.count(),
    }


# ---------- submit ----------


def test_quote_submit_on_an_rfq_freezes_the_landed_cost_at_the_buyers_border(
    rfq, seller_pair, buyer, django_capture_on_commit_callbacks
):
    seller, user = seller_pair
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        quote = submit(seller=seller, actor=user, rfq=rfq)

    year = timezone.localdate().year % 100
    assert quote.number.startswith(f"Q{year:02d}-")
    assert len(quote.number) == len("Q26-000042")
    assert (quote.version, quote.status, quote.previous) == (1, QuoteStatus.SUBMITTED, None)
    assert (quote.buyer, quote.seller, quote.rfq) == (buyer, seller, rfq)
    assert str(quote.destination_country) == "DE"
    assert quote.goods_minor == 34500  # 10,000 × 0.0345
    assert (quote.freight_minor, quote.insurance_minor) == (None, None)
    landed = quote.landed_cost
    assert landed["destination"] == "DE"
    assert landed["goods"] == {"amount": "345.00", "currency": "USD"}
    assert landed["duty"] == {"amount": "12.77", "currency": "USD"}  # 3.7 % of 345.00
    assert landed["import_tax"] == {"amount": "67.98", "currency": "USD"}  # 19 % of 357.77
    assert landed["platform_fee"] == {"amount": "10.35", "currency": "USD"}
    assert landed["landed_total"] == {"amount": "436.10", "currency": "USD"}
    (quote_line,) = quote.lines.all()
    assert quote_line.unit_price == Decimal("0.0345")
    assert quote_line.line_total_minor == 34500
    assert quote_line.from_stock is False
    assert quote_line.units_per_carton == 500
    (event,) = quote.events.all()
    assert (event.from_status, event.to_status, event.actor) == ("", "submitted", user)
    assert [c.__qualname__ for c in callbacks] == ["quote_event_notify_task.delay"]
    notify_now(quote)
    (email,) = mail.outbox
    assert email.subject == f"New quote {quote.number} from Ningbo Fasteners Co., Ltd."
    assert email.to == [buyer.memberships.get().user.email]
    assert "Landed cost at the border (estimate): USD 436.10" in email.body


def test_quote_submit_under_cif_needs_freight_and_insurance_and_counts_them(rfq, seller_pair):
    seller, user = seller_pair
    quote = submit(
        seller=seller,
        actor=user,
        rfq=rfq,
        incoterm="CIF",
        named_place="Hamburg",
        freight=Decimal("850.00"),
        insurance="12.00",
    )

    assert (quote.freight_minor, quote.insurance_minor) == (85000, 1200)
    landed = quote.landed_cost
    assert landed["duty"] == {"amount": "44.66", "currency": "USD"}  # 3.7 % of 1,207.00
    assert landed["import_tax"] == {"amount": "237.82", "currency": "USD"}  # 19 % of 1,251.66
    assert landed["total_for_buyer"] == {"amount": "1489.48", "currency": "USD"}
    assert landed["landed_total"] == {"amount": "1499.83", "currency": "USD"}


def test_quote_lines_from_a_listing_take_its_packing_data(rfq, seller_pair, listing):
    seller, user = seller_pair
    quote = submit(
        seller=seller,
        actor=user,
        rfq=rfq,
        lines=[
            line(
                listing_id=listing.pk,
                from_stock=True,
                description="",
                quantity=5000,
                unit_net_weight_kg=None,
                units_per_carton=None,
                carton_gross_weight_kg=None,
                carton_length_cm=None,
                carton_width_cm=None,
                carton_height_cm=None,
            )
        ],
    )

    (quote_line,) = quote.lines.all()
    assert quote_line.listing == listing
    assert quote_line.from_stock is True
    assert quote_line.description == listing.title
    assert quote_line.units_per_carton == listing.units_per_carton
    assert quote_line.carton_gross_weight_kg == listing.carton_gross_weight_kg
    listing.refresh_from_db()
    assert listing.stock == 20_000  # nothing reserved before acceptance


def test_quote_submit_in_a_conversation_posts_an_event_message(
    seller_pair, listing, fx_rates, buyer
):
    seller, user = seller_pair
    conversation = conversation_about(listing=listing, buyer=buyer)

    quote = submit(seller=seller, actor=user, conversation=conversation)

    assert quote.conversation == conversation and quote.rfq is None
    assert str(quote.destination_country) == "DE"  # the buyer company's country
    (message,) = Message.objects.filter(conversation=conversation)
    assert message.kind == MessageKind.EVENT
    assert message.body.startswith(f"Quote {quote.number} sent: FOB Ningbo, goods USD 345.00")
    conversation.refresh_from_db()
    assert conversation.message_count == 1


def test_a_conversation_quote_may_name_another_destination(seller_pair, listing, fx_rates, buyer):
    seller, user = seller_pair
    conversation = conversation_about(listing=listing, buyer=buyer)

    quote = services.quote_submit(
        actor=user,
        seller=seller,
        conversation=conversation.pk,
        lines=[line()],
        destination_country="fr",
        **terms(),
    )

    assert str(quote.destination_country) == "FR"
    assert quote.landed_cost["destination"] == "FR"


def test_quote_numbers_are_sequential(rfq, seller_pair, seller2_pair):
    first = submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq)
    second = submit(seller=seller2_pair[0], actor=seller2_pair[1], rfq=rfq)

    assert int(second.number[-6:]) == int(first.number[-6:]) + 1


# ---------- refusals of submit ----------


@pytest.mark.parametrize("status", [RFQStatus.CLOSED, RFQStatus.CANCELLED])
def test_a_quote_on_a_closed_or_cancelled_rfq_is_a_conflict(buyer, fx_rates, seller_pair, status):
    # Invited: the seller still sees the RFQ once it is no longer open.
    seller, user = seller_pair
    rfq = rfq_open(buyer=buyer, visibility="invited", invited=[seller], status=status)
    before = state()

    with pytest.raises(InvalidTransition):
        submit(seller=seller, actor=user, rfq=rfq)

    assert state() == before


def test_a_quote_after_the_closing_date_is_a_conflict(rfq, seller_pair):
    rfq.closes_at = timezone.now() - timedelta(minutes=1)
    rfq.save(update_fields=["closes_at"])
    before = state()

    with pytest.raises(Conflict):
        submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq)

    assert state() == before


def test_quoting_as_a_company_that_does_not_sell_is_forbidden(rfq, fx_rates):
    company = CompanyFactory(buyer=True, country="FR")
    user = MembershipFactory(company=company).user
    before = state()

    with pytest.raises(PermissionDenied):
        submit(seller=company, actor=user, rfq=rfq)

    assert state() == before


def test_quoting_as_an_unverified_seller_is_forbidden(rfq, seller_pair):
    seller, user = seller_pair
    seller.verification_status = VerificationStatus.PENDING
    seller.save(update_fields=["verification_status"])
    before = state()

    with pytest.raises(PermissionDenied):
        submit(seller=seller, actor=user, rfq=rfq)

    assert state() == before


def test_quoting_for_a_company_one_is_not_a_member_of_is_forbidden(rfq, seller_pair, buyer_user):
    before = state()

    with pytest.raises(PermissionDenied):
        submit(seller=seller_pair[0], actor=buyer_user, rfq=rfq)

    assert state() == before


def test_an_invited_rfq_of_other_companies_is_not_found(seller_pair, fx_rates):
    other_buyer, _ = buyer_member(country="NL")
    invited_seller, _ = seller_member()
    rfq = rfq_open(buyer=other_buyer, visibility="invited", invited=[invited_seller])
    before = state()

    with pytest.raises(NotFound):
        submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq)

    assert state() == before


def test_a_conversation_of_other_companies_is_not_found(seller_pair, seller2_pair, buyer, fx_rates):
    other_listing = seller2_pair[0].listings.get()
    conversation = conversation_about(listing=other_listing, buyer=buyer)
    before = state()

    with pytest.raises(NotFound):
        submit(seller=seller_pair[0], actor=seller_pair[1], conversation=conversation)

    assert state() == before


def test_a_second_live_quote_on_one_rfq_is_a_conflict(rfq, seller_pair):
    seller, user = seller_pair
    submit(seller=seller, actor=user, rfq=rfq)
    before = state()

    with pytest.raises(Conflict, match="revise it instead"):
        submit(seller=seller, actor=user, rfq=rfq)

    assert state() == before


@pytest.mark.parametrize(
    ("line_overrides", "field", "message"),
    [
        ({"quantity": 0}, "lines[0].quantity", "The quantity must be at least 1."),
        ({"quantity": -5}, "lines[0].quantity", "The quantity must be at least 1."),
        ({"unit_price": "0"}, "lines[0].unit_price", "The unit price must be more than 0."),
        ({"unit_price": "-0.10"}, "lines[0].unit_price", "The unit price must be more than 0."),
        (
            {"unit_price": "0.03451"},
            "lines[0].unit_price",
            "Enter the unit price with at most 4 decimals.",
        ),
        (
            {"hs_code": "7318"},
            "lines[0].hs_code",
            "Enter an HS 2022 subheading of 6 digits, e.g. 731815.",
        ),
        (
            {"hs_code": "999999"},
            "lines[0].hs_code",
            "Enter an HS 2022 subheading of 6 digits, e.g. 731815.",
        ),
        ({"origin_country": "XX"}, "lines[0].origin_country", "Choose the country of origin."),
        ({"description": " "}, "lines[0].description", "Enter the description."),
        (
            {"units_per_carton": None},
            "lines[0].units_per_carton",
            "Enter the units per carton.",
        ),
        (
            {"carton_gross_weight_kg": Decimal("10.000")},
            "lines[0].carton_gross_weight_kg",
            "A carton weighs at least its contents: 500 × 0.028 kg = 14.000 kg.",
        ),
        (
            {"from_stock": True},
            "lines[0].from_stock",
            "Only a line of one of your listings can ship from stock.",
        ),
    ],
)
def test_a_bad_line_is_a_field_error_naming_the_line(
    rfq, seller_pair, line_overrides, field, message
):
    before = state()

    with pytest.raises(ValidationError) as caught:
        submit(
            seller=seller_pair[0],
            actor=seller_pair[1],
            rfq=rfq,
            lines=[line(**line_overrides)],
        )

    assert caught.value.message_dict == {field: [message]}
    assert state() == before


def test_errors_name_the_line_they_belong_to(rfq, seller_pair):
    with pytest.raises(ValidationError) as caught:
        submit(
            seller=seller_pair[0],
            actor=seller_pair[1],
            rfq=rfq,
            lines=[line(), line(unit_price="0")],
        )

    assert list(caught.value.message_dict) == ["lines[1].unit_price"]


def test_another_sellers_listing_cannot_be_quoted(rfq, seller_pair, seller2_pair):
    other = seller2_pair[0].listings.get()
    before = state()

    with pytest.raises(ValidationError) as caught:
        submit(
            seller=seller_pair[0],
            actor=seller_pair[1],
            rfq=rfq,
            lines=[line(listing_id=other.pk, from_stock=True)],
        )

    assert caught.value.message_dict == {
        "lines[0].listing": ["Choose one of your company's published listings."]
    }
    assert state() == before


def test_more_from_stock_than_the_listing_holds_is_refused(rfq, seller_pair, listing):
    with pytest.raises(ValidationError) as caught:
        submit(
            seller=seller_pair[0],
            actor=seller_pair[1],
            rfq=rfq,
            lines=[line(listing_id=listing.pk, from_stock=True, quantity=20_001)],
        )

    assert list(caught.value.message_dict) == ["lines[0].quantity"]


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        (
            {"incoterm": "DAP", "named_place": "Hamburg", "freight": "900"},
            {"incoterm": ["The request allows FOB, CIF; DAP is not one of them."]},
        ),
        (
            {"incoterm": "CIF", "named_place": "Hamburg"},
            {
                "freight": ["Under CIF you pay the main carriage: enter the freight."],
                "insurance": ["Under CIF you insure the goods: enter the premium."],
            },
        ),
        (
            {"freight": "100.00", "insurance": "5.00"},
            {
                "freight": ["Under FOB the buyer pays the main carriage: leave it empty."],
                "insurance": ["Under FOB the seller does not insure: leave it empty."],
            },
        ),
        (
            {"incoterm": "CIF", "named_place": "Hamburg", "freight": "850.001", "insurance": "1"},
            {"freight": ["Enter the freight with at most 2 decimals (USD)."]},
        ),
        ({"currency": "XYZ"}, {"currency": ["Choose a currency the platform settles in."]}),
        (
            {"named_place": ""},
            {"named_place": ["Enter the named port of shipment for the Incoterm."]},
        ),
        (
            {"valid_until": timezone.localdate() - timedelta(days=1)},
            {"valid_until": ["The validity date cannot be in the past."]},
        ),
        ({"lead_time_days": -1}, {"lead_time_days": ["Enter a lead time from 0 to 730 days."]}),
        ({"notes": "x" * 5001}, {"notes": ["The notes may have at most 5000 characters."]}),
    ],
)
def test_bad_terms_are_field_errors(rfq, seller_pair, overrides, errors):
    before = state()

    with pytest.raises(ValidationError) as caught:
        submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq, **overrides)

    assert caught.value.message_dict == errors
    assert state() == before


def test_a_quote_without_lines_is_refused(rfq, seller_pair):
    with pytest.raises(ValidationError) as caught:
        submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq, lines=[])

    assert caught.value.message_dict == {"lines": ["Add at least one line to the quote."]}


# ---------- revise, withdraw, decline, expire ----------


def _revise(quote, seller_pair, **overrides):
    seller, user = seller_pair
    lines = overrides.pop("lines", [line(unit_price=Decimal("0.0330"))])
    return services.quote_revise(
        quote=quote, actor=user, seller=seller, lines=lines, **terms(**overrides)
    )


def test_quote_revise_writes_version_two_and_keeps_version_one_readable(
    rfq, seller_pair, django_capture_on_commit_callbacks
):
    first = submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq)
    notify_now(first)
    mail.outbox.clear()

    second = _revise(first, seller_pair)
    notify_now(first, second)

    first.refresh_from_db()
    assert first.status == QuoteStatus.REVISED
    assert first.lines.get().unit_price == Decimal("0.0345")
    assert (second.number, second.version, second.previous) == (first.number, 2, first)
    assert second.status == QuoteStatus.SUBMITTED
    assert second.goods_minor == 33000
    assert second.landed_cost["goods"] == {"amount": "330.00", "currency": "USD"}
    assert [(e.from_status, e.to_status) for e in first.events.all()] == [
        ("", "submitted"),
        ("submitted", "revised"),
    ]
    assert [(e.from_status, e.to_status, e.note) for e in second.events.all()] == [
        ("", "submitted", "Revision of version 1")
    ]
    (email,) = mail.outbox
    assert email.subject == f"Quote {first.number} revised (version 2)"


def test_revising_a_stale_version_is_a_conflict(rfq, seller_pair):
    first = submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq)
    _revise(first, seller_pair)
    before = state()

    with pytest.raises(InvalidTransition):
        _revise(first, seller_pair)

    assert state() == before


def test_revising_an_expired_version_is_a_conflict(rfq, seller_pair):
    quote = submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq)
    Quote.objects.filter(pk=quote.pk).update(valid_until=timezone.localdate() - timedelta(days=1))
    before = state()

    with pytest.raises(Conflict):
        _revise(quote, seller_pair)

    assert state() == before


def test_another_seller_cannot_revise_a_quote(rfq, seller_pair, seller2_pair):
    quote = submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq)
    before = state()

    with pytest.raises(NotFound):
        _revise(quote, seller2_pair)

    assert state() == before


def test_quote_withdraw_by_its_seller(rfq, seller_pair):
    quote = submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq)

    withdrawn = services.quote_withdraw(
        quote=quote, actor=seller_pair[1], seller=seller_pair[0], reason="Steel price rose"
    )

    assert withdrawn.status == QuoteStatus.WITHDRAWN
    assert withdrawn.decision_note == "Steel price rose"
    event = withdrawn.events.last()
    assert (event.from_status, event.to_status, event.note) == (
        "submitted",
        "withdrawn",
        "Steel price rose",
    )
    # A withdrawn quote may be answered with a new one.
    again = submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq)
    assert again.version == 1 and again.number != quote.number


def test_quote_decline_by_the_buyer_and_not_twice(rfq, seller_pair, buyer, buyer_user):
    quote = submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq)

    declined = services.quote_decline(
        quote=quote, actor=buyer_user, buyer=buyer, reason="Too expensive"
    )
    assert declined.status == QuoteStatus.DECLINED
    before = state()

    with pytest.raises(InvalidTransition):
        services.quote_decline(quote=quote, actor=buyer_user, buyer=buyer, reason="again")
    with pytest.raises(InvalidTransition):
        services.quote_withdraw(quote=quote, actor=seller_pair[1], seller=seller_pair[0])

    assert state() == before


def test_the_seller_cannot_decline_and_the_buyer_cannot_withdraw(
    rfq, seller_pair, buyer, buyer_user
):
    quote = submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq)
    before = state()

    with pytest.raises(NotFound):
        services.quote_decline(quote=quote, actor=seller_pair[1], buyer=seller_pair[0], reason="")
    with pytest.raises(NotFound):
        services.quote_withdraw(quote=quote, actor=buyer_user, seller=buyer)
    with pytest.raises(PermissionDenied):
        services.quote_decline(quote=quote, actor=seller_pair[1], buyer=buyer, reason="")

    assert state() == before


def test_quotes_expire_after_their_validity_date(rfq, seller_pair, seller2_pair):
    old = submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq)
    fresh = submit(seller=seller2_pair[0], actor=seller2_pair[1], rfq=rfq)
    today = timezone.localdate()
    Quote.objects.filter(pk=old.pk).update(valid_until=today - timedelta(days=1))
    Quote.objects.filter(pk=fresh.pk).update(valid_until=today)

    assert services.quotes_expire() == 1
    assert services.quotes_expire() == 0

    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, fresh.status) == (QuoteStatus.EXPIRED, QuoteStatus.SUBMITTED)
    event = old.events.last()
    assert (event.from_status, event.to_status, event.actor) == ("submitted", "expired", None)


def test_the_expiry_task_is_registered_and_calls_the_service(rfq, seller_pair):
    from orders.quotes.tasks import quotes_expire_task

    quote = submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq)
    Quote.objects.filter(pk=quote.pk).update(valid_until=timezone.localdate() - timedelta(days=3))

    assert quotes_expire_task.run() == 1


def test_the_notify_task_sends_once(rfq, seller_pair, django_capture_on_commit_callbacks):
    from orders.quotes.notifications import quote_event_notify

    with django_capture_on_commit_callbacks(execute=False):
        quote = submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq)
    event = quote.events.get()

    assert quote_event_notify(event_id=event.pk) is True
    assert quote_event_notify(event_id=event.pk) is False
    assert len(mail.outbox) == 1


def test_a_listing_of_another_status_cannot_be_quoted(rfq, seller_pair):
    draft = ListingFactory(seller=seller_pair[0])
    with pytest.raises(ValidationError) as caught:
        submit(
            seller=seller_pair[0], actor=seller_pair[1], rfq=rfq, lines=[line(listing_id=draft.pk)]
        )

    assert list(caught.value.message_dict) == ["lines[0].listing"]
