"""Who may see which request for quotation (shared by the API, the pages and the digests).

A buyer sees its own RFQs, whatever their status. A seller (a verified company that sells)
sees the open public RFQs of its categories: those whose category is one of the categories
of its published listings, one of their parents, or one of their children; the RFQs it is
invited to; and any RFQ it has quoted on, after it closes too. Anything else does not exist
for the company (``NotFound``, the API's 404).
"""

from django.db.models import Q, QuerySet

from listings.enums import ListingStatus
from listings.models import Category, Listing
from marketplace.accounts.enums import VerificationStatus
from marketplace.accounts.models import Company
from marketplace.core.exceptions import NotFound
from marketplace.core.ids import id_parse
from orders.rfqs.models import RFQ, RFQStatus, RFQVisibility


def seller_may_quote(company: Company) -> bool:
    """Only a verified company that sells answers RFQs."""
    return bool(company.sells and company.verification_status == VerificationStatus.VERIFIED)


def seller_category_ids(*, company: Company) -> set[int]:
    """The categories a seller is "in": those of its published listings, with their parents
    and children (two or three levels), so a broad RFQ reaches the specialists and a
    specific one the generalists."""
    own = set(
        Listing.objects.filter(seller=company, status=ListingStatus.PUBLISHED)
        .values_list("category_id", flat=True)
        .distinct()
    )
    if not own:
        return set()
    related = set(own)
    frontier = set(own)
    for _ in range(3):  # up: parents
        parents = set(
            Category.objects.filter(pk__in=frontier, parent__isnull=False).values_list(
                "parent_id", flat=True
            )
        )
        frontier = parents - related
        related |= parents
        if not frontier:
            break
    frontier = set(own)
    for _ in range(3):  # down: children
        children = set(Category.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        frontier = children - related
        related |= children
        if not frontier:
            break
    return related


def rfq_visible_q(*, company: Company) -> Q:
    """The RFQs ``company`` may see, as a filter."""
    visible = Q(buyer=company)
    if seller_may_quote(company):
        categories = seller_category_ids(company=company)
        visible |= Q(
            status=RFQStatus.OPEN, visibility=RFQVisibility.PUBLIC, category_id__in=categories
        )
        visible |= Q(invitations__seller=company)
        visible |= Q(quotes__seller=company)
    return visible


def rfq_list_for_company(*, company: Company) -> QuerySet[RFQ]:
    return (
        RFQ.objects.filter(rfq_visible_q(company=company))
        .distinct()
        .select_related("buyer", "category")
        .order_by("-created_at", "-pk")
    )


def rfq_get_for_company(*, company: Company, rfq_id: object) -> RFQ:
    """One RFQ the company may see; ``NotFound`` otherwise (including a malformed id)."""
    pk = id_parse(rfq_id)
    if pk is None:
        raise NotFound
    rfq = (
        RFQ.objects.filter(rfq_visible_q(company=company), pk=pk)
        .distinct()
        .select_related("buyer", "category")
        .first()
    )
    if rfq is None:
        raise NotFound
    return rfq
