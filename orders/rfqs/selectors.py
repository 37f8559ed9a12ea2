"""Who may see which request for quotation (shared by the API, the pages and the digests).

A buyer sees its own RFQs, whatever their status. A seller (a verified company that sells)
sees the open public RFQs of its categories: those whose category is one of the categories
of its published listings, one of their parents, or one of their children; the RFQs it is
invited to; and any RFQ it has quoted on, after it closes too. Anything else does not exist
for the company (``NotFound``, the API's 404).
"""

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from listings.enums import ListingStatus
from listings.models import Category, Listing
from marketplace.accounts.enums import VerificationStatus
from marketplace.accounts.models import Company
from marketplace.core.exceptions import NotFound
from marketplace.core.ids import id_parse
from orders.rfqs.models import RFQ, RFQAttachment, RFQInvitation, RFQStatus, RFQVisibility

# What a company may do with an RFQ now (``rfq_actions_for``); the pages and the API share it.
ACTION_CLOSE = "close"
ACTION_CANCEL = "cancel"
ACTION_ATTACH = "attach"
ACTION_QUOTE = "quote"
ACTION_MESSAGE = "message"


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


def category_with_descendant_ids(*, category_id: int) -> set[int]:
    """A category and everything under it (the tree is two or three levels deep)."""
    found = {category_id}
    frontier = {category_id}
    for _ in range(4):
        children = set(Category.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        frontier = children - found
        found |= children
        if not frontier:
            break
    return found


def _with_quote_count(rfqs: QuerySet[RFQ]) -> QuerySet[RFQ]:
    # A quote is one row per version: count the quotes (their numbers), not the versions.
    return rfqs.annotate(quote_count=Count("quotes__number", distinct=True))


def rfq_list_for_buyer(*, company: Company, status: str | None = None) -> QuerySet[RFQ]:
    """A buyer's own RFQs in every status (or one), newest first, with ``quote_count``."""
    rfqs = RFQ.objects.filter(buyer=company)
    if status:
        rfqs = rfqs.filter(status=status)
    return (
        _with_quote_count(rfqs)
        .select_related("buyer", "category", "category__parent")
        .order_by("-created_at", "-pk")
    )


def rfq_board_for_seller(
    *,
    company: Company,
    category_id: int | None = None,
    destination_country: str | None = None,
) -> QuerySet[RFQ]:
    """The open RFQs a seller may quote on: public ones of its categories (see
    ``seller_category_ids``) and those it is invited to, never its own; newest first.
    ``category_id`` narrows to that category and its children. Empty for a company that
    may not quote (not a seller, or not verified)."""
    if not seller_may_quote(company):
        return RFQ.objects.none()
    invited = RFQInvitation.objects.filter(rfq=OuterRef("pk"), seller=company)
    categories = seller_category_ids(company=company)
    rfqs = (
        RFQ.objects.filter(status=RFQStatus.OPEN)
        .exclude(buyer=company)
        .filter(Q(visibility=RFQVisibility.PUBLIC, category_id__in=categories) | Exists(invited))
        .annotate(invited=Exists(invited))
    )
    if category_id is not None:
        rfqs = rfqs.filter(category_id__in=category_with_descendant_ids(category_id=category_id))
    if destination_country:
        rfqs = rfqs.filter(destination_country=destination_country)
    return rfqs.select_related("buyer", "category", "category__parent").order_by(
        "-created_at", "-pk"
    )


def rfq_with_details(rfqs: QuerySet[RFQ]) -> QuerySet[RFQ]:
    """Attachments, invitations and events loaded along (for a page or an API response)."""
    from orders.rfqs.models import RFQEvent

    return rfqs.select_related("buyer", "category", "category__parent").prefetch_related(
        Prefetch("attachments", queryset=RFQAttachment.objects.order_by("pk")),
        Prefetch(
            "invitations",
            queryset=RFQInvitation.objects.select_related("seller").order_by("seller__legal_name"),
        ),
        Prefetch("events", queryset=RFQEvent.objects.select_related("actor").order_by("pk")),
    )


def rfq_quote_count(*, rfq: RFQ) -> int:
    return rfq.quotes.values("number").distinct().count()


def rfq_quotable_by(*, rfq: RFQ, company: Company) -> bool:
    """Whether ``company`` may send a quote on ``rfq`` now: the RFQ is open, the company is
    a verified seller, not the buyer, and the RFQ is public in its categories or it is
    invited. (The quotes engineer's services check this before a quote is written.)"""
    if rfq.status != RFQStatus.OPEN or rfq.buyer_id == company.pk or not seller_may_quote(company):
        return False
    if RFQInvitation.objects.filter(rfq=rfq, seller=company).exists():
        return True
    return rfq.visibility == RFQVisibility.PUBLIC and rfq.category_id in seller_category_ids(
        company=company
    )


def rfq_actions_for(*, rfq: RFQ, company: Company) -> frozenset[str]:
    """What ``company`` may do with ``rfq`` now (``ACTION_*``)."""
    if rfq.buyer_id == company.pk:
        if rfq.status == RFQStatus.OPEN:
            return frozenset({ACTION_CLOSE, ACTION_CANCEL, ACTION_ATTACH})
        return frozenset()
    actions = {ACTION_MESSAGE}
    if rfq_quotable_by(rfq=rfq, company=company):
        actions.add(ACTION_QUOTE)
    return frozenset(actions)


def rfq_attachment_get_for_company(*, company: Company, rfq_id: object, attachment_id: object):
    """One attachment of an RFQ the company may see; ``NotFound`` otherwise."""
    rfq = rfq_get_for_company(company=company, rfq_id=rfq_id)
    pk = id_parse(attachment_id)
    attachment = rfq.attachments.filter(pk=pk).first() if pk is not None else None
    if attachment is None:
        raise NotFound
    return attachment


def invitable_sellers(*, buyer: Company) -> QuerySet[Company]:
    """The companies a buyer may invite to an RFQ: verified sellers other than itself."""
    return (
        Company.objects.filter(sells=True, verification_status=VerificationStatus.VERIFIED)
        .exclude(pk=buyer.pk)
        .order_by("legal_name", "pk")
    )
