"""Shared rules of the order services: inputs, field errors, parties, cleaning of text and terms."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django_countries import countries

from marketplace.accounts.models import Company, Membership, User
from marketplace.core.transitions import lock
from marketplace.trade.incoterms import INCOTERMS, Incoterm
from marketplace.trade.money import Money

# Defined beside the transition table, which the selectors read too; re-exported here.
from orders.enums import BUYER_CANCELLABLE_STATUSES as BUYER_CANCELLABLE_STATUSES
from orders.enums import UNPAID_STATUSES as UNPAID_STATUSES
from orders.models import Order

EXPIRED_NOTE = "Expired unpaid"
INSPECTION_ENDED_NOTE = "Inspection window ended with no dispute"
TOPIC_ORDER_COMPLETED = "order.completed"
TOPIC_ORDER_CANCELLED = "order.cancelled"

# Field lengths, as in the model.
_SHIP_TO_LIMITS = {
    "name": 200,
    "line1": 200,
    "line2": 200,
    "city": 100,
    "region": 100,
    "postal_code": 20,
}
_SHIP_TO_REQUIRED = ("name", "line1", "city")
_NAMED_PLACE_MAX = 120
_BUYER_REFERENCE_MAX = 64
_REASON_MAX = 2000
_CARRIER_MAX = 100
_TRACKING_MAX = 100
_QUANTITY_MAX = 2_147_483_647


@dataclass(frozen=True)
class ShipTo:
    name: str
    line1: str
    city: str
    country: str
    postal_code: str = ""
    line2: str = ""
    region: str = ""


@dataclass(frozen=True)
class LineInput:
    listing_id: int
    quantity: int


class _Errors:
    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        messages = self.by_field.setdefault(field, [])
        if message not in messages:
            messages.append(message)

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def _is_member(*, actor: User | None, company: Company) -> bool:
    return bool(
        actor is not None
        and actor.is_active
        and Membership.objects.filter(user=actor, company=company).exists()
    )


def _require_buyer_member(*, actor: User, buyer: Company) -> None:
    if not _is_member(actor=actor, company=buyer):
        raise PermissionDenied("Only members of the buying company may do this.")
    if not buyer.buys:
        raise PermissionDenied("Only a company that buys can order.")


def _require_party(*, order: Order, actor: User, party: str) -> None:
    company = order.buyer if party == "buyer" else order.seller
    if not _is_member(actor=actor, company=company):
        raise PermissionDenied(f"Only the {party} of order {order.number} may do this.")


def _lock_buyer(buyer: Company) -> None:
    """Lock the buying company's row, first in every placement, so that two placements for one
    buyer count its unpaid orders one after the other (then its cart and listings, in order)."""
    lock(Company, buyer.pk)


def _unpaid_orders_cap_check(errors: _Errors, *, buyer: Company, new_orders: int) -> None:
    """A buyer may hold at most MAX_UNPAID_ORDERS_PER_BUYER unpaid orders (placed or confirmed),
    so that it cannot lock up sellers' stock; counted under the buyer's lock."""
    cap = settings.MAX_UNPAID_ORDERS_PER_BUYER
    unpaid = Order.objects.filter(buyer=buyer, status__in=UNPAID_STATUSES).count()
    if unpaid + new_orders > cap:
        errors.add(
            "non_field_errors",
            f"Your company has {unpaid} unpaid order{'s' if unpaid != 1 else ''}; at most {cap} "
            f"may wait for payment at once, and this would place {new_orders} more. "
            "Pay or cancel unpaid orders before placing new ones.",
        )


def _clean_text(
    errors: _Errors, field: str, value: object, *, max_length: int, required: bool, label: str
) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        errors.add(field, f"Enter the {label} as text.")
    elif required and not text:
        errors.add(field, f"Enter the {label}.")
    elif len(text) > max_length:
        errors.add(field, f"The {label} may have at most {max_length} characters.")
    return text


def _clean_ship_to(errors: _Errors, ship_to: ShipTo) -> dict[str, str]:
    labels = {
        "name": "recipient's name",
        "line1": "street address",
        "line2": "second address line",
        "city": "city",
        "region": "region",
        "postal_code": "postal code",
    }
    values = {
        f"ship_to_{name}": _clean_text(
            errors,
            f"ship_to.{name}",
            getattr(ship_to, name),
            max_length=limit,
            required=name in _SHIP_TO_REQUIRED,
            label=labels[name],
        )
        for name, limit in _SHIP_TO_LIMITS.items()
    }
    country = ship_to.country.strip().upper() if isinstance(ship_to.country, str) else ""
    if not country:
        errors.add("ship_to.country", "Choose the country the goods are shipped to.")
    elif country not in countries:
        errors.add("ship_to.country", f"“{ship_to.country}” is not a known country code.")
    values["ship_to_country"] = country
    return values


def _clean_terms(
    errors: _Errors, *, incoterm: object, named_place: object, prefix: str
) -> tuple[Incoterm | None, str]:
    code = incoterm.strip().upper() if isinstance(incoterm, str) else ""
    rule = INCOTERMS.get(code)
    if not code:
        errors.add("incoterm", f"{prefix}Choose an Incoterm.")
    elif rule is None:
        errors.add("incoterm", f"{prefix}“{incoterm}” is not an Incoterms 2020 rule.")
    place = named_place.strip() if isinstance(named_place, str) else ""
    if not place:
        means = rule.named_place_means if rule else "named place"
        errors.add("named_place", f"{prefix}Enter the {means} for the Incoterm.")
    elif len(place) > _NAMED_PLACE_MAX:
        errors.add(
            "named_place",
            f"{prefix}The named place may have at most {_NAMED_PLACE_MAX} characters.",
        )
    return rule, place


def _as_quantity(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _clean_amount(
    errors: _Errors, field: str, value: object, *, currency: str, label: str
) -> Money | None:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        errors.add(field, f"Enter the {label} as an amount in {currency}.")
        return None
    try:
        money = Money(value, currency)
    except (TypeError, ValueError):
        errors.add(field, f"Enter the {label} as an amount in {currency}.")
        return None
    if money.amount < 0:
        errors.add(field, f"The {label} cannot be negative.")
        return None
    if money.rounded() != money:
        errors.add(field, f"Enter the {label} with at most {money.exponent} decimals ({currency}).")
        return None
    return money
