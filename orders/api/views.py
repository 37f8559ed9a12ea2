"""The orders API and the listing landed-cost estimate: thin views over orders.services,
orders.selectors and the landed-cost calculation."""

from abc import ABCMeta, abstractmethod
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from listings.selectors import listing_get_visible
from marketplace.accounts.api.company import (
    X_COMPANY_PARAMETER,
    HasActiveCompany,
    get_active_company,
    require_active_company,
)
from marketplace.accounts.models import Company
from marketplace.core.api.pagination import PageNumberPagination
from orders import selectors, services
from orders.api.serializers import (
    LandedCostQuerySerializer,
    LandedCostSerializer,
    OrderConfirmSerializer,
    OrderCreateSerializer,
    OrderListQuerySerializer,
    OrderSerializer,
    OrderShipSerializer,
    ReasonSerializer,
)
from orders.enums import OrderStatus
from orders.forms import LandedCostEstimateForm
from orders.models import Order, OrderEvent

TAGS = ["orders"]
ERRORS_400 = OpenApiResponse(description='Field errors: `{"field": ["message", ...]}`.')
ERRORS_404 = OpenApiResponse(description="No such order among your company's.")
ERRORS_409 = OpenApiResponse(description="The order's status does not allow this.")
ERRORS_403 = OpenApiResponse(description="Your company is not the party that may do this.")


def nested_errors(exc: DjangoValidationError) -> ValidationError:
    """The service's flat ``{"ship_to.country": [...]}`` as ``{"ship_to": {"country": [...]}}``."""
    flat: dict[str, list[str]] = (
        exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
    )
    nested: dict[str, Any] = {}
    for key, messages in flat.items():
        if "." in key:
            head, tail = key.split(".", 1)
            nested.setdefault(head, {})[tail] = messages
        else:
            nested[key] = messages
    return ValidationError(nested)


def _with_details(orders: QuerySet[Order]) -> QuerySet[Order]:
    return orders.select_related("shipment", "dispute").prefetch_related(
        "lines", Prefetch("events", queryset=OrderEvent.objects.select_related("actor"))
    )


def _order_response(
    request: Request, company: Company, order_id: int, *, code: int = status.HTTP_200_OK
) -> Response:
    order = selectors.order_get_for_company(company=company, order_id=order_id)
    return Response(OrderSerializer(order, context={"company": company}).data, status=code)


class OrderListCreateView(APIView):
    permission_classes = [HasActiveCompany]
    pagination_class = PageNumberPagination

    @extend_schema(
        tags=TAGS,
        summary="Your company's orders",
        description="Newest first; as buyer, as seller, or both.",
        parameters=[X_COMPANY_PARAMETER, OrderListQuerySerializer],
        responses={200: OrderSerializer(many=True), 400: ERRORS_400},
    )
    def get(self, request: Request) -> Response:
        company = require_active_company(request)
        query = OrderListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        role = query.validated_data.get("role") or None
        order_status = query.validated_data.get("status") or None
        errors: dict[str, list[str]] = {}
        if role is not None and role not in selectors.ROLES:
            errors["role"] = [f"“{role}” is not a role; use buyer or seller."]
        if order_status is not None and order_status not in OrderStatus.values:
            errors["status"] = [
                f"“{order_status}” is not an order status; use one of "
                f"{', '.join(OrderStatus.values)}."
            ]
        if errors:
            raise ValidationError(errors)
        orders = selectors.order_list_for_company(company=company, role=role, status=order_status)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(_with_details(orders), request, view=self)
        data = OrderSerializer(page, many=True, context={"company": company}).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        tags=TAGS,
        summary="Place an order",
        description="All lines of one seller. Stock is reserved at once; a refused order "
        "reserves and writes nothing.",
        parameters=[X_COMPANY_PARAMETER],
        request=OrderCreateSerializer,
        responses={201: OrderSerializer, 400: ERRORS_400, 403: ERRORS_403},
    )
    def post(self, request: Request) -> Response:
        company = require_active_company(request)
        serializer = OrderCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            order = services.order_place(
                buyer=company,
                actor=request.user,  # type: ignore[arg-type]
                lines=[
                    services.LineInput(listing_id=line["listing"], quantity=line["quantity"])
                    for line in data["lines"]
                ],
                incoterm=data["incoterm"],
                named_place=data["named_place"],
                ship_to=services.ShipTo(**data["ship_to"]),
                buyer_reference=data["buyer_reference"],
            )
        except DjangoValidationError as exc:
            raise nested_errors(exc) from None
        return _order_response(request, company, order.pk, code=status.HTTP_201_CREATED)


class OrderDetailView(APIView):
    permission_classes = [HasActiveCompany]

    @extend_schema(
        tags=TAGS,
        summary="An order",
        description="An order your company placed or received; any other is a 404.",
        parameters=[X_COMPANY_PARAMETER],
        responses={200: OrderSerializer, 404: ERRORS_404},
    )
    def get(self, request: Request, pk: int) -> Response:
        return _order_response(request, require_active_company(request), pk)


class _OrderAction(APIView, metaclass=ABCMeta):
    """POST on an order of the company: parse the body, call the service, return the order.

    Each action view names its request body and says, in ``act``, which service it calls."""

    permission_classes = [HasActiveCompany]
    body: type | None = None

    @abstractmethod
    def act(self, *, order: Order, company: Company, user: Any, data: dict[str, Any]) -> None:
        """Call the order service for this action."""

    def post(self, request: Request, pk: int) -> Response:
        company = require_active_company(request)
        order = selectors.order_get_for_company(company=company, order_id=pk)
        data: dict[str, Any] = {}
        if self.body is not None:
            serializer = self.body(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        try:
            self.act(order=order, company=company, user=request.user, data=data)
        except DjangoValidationError as exc:
            raise nested_errors(exc) from None
        return _order_response(request, company, order.pk)


def _action_schema(summary: str, description: str, request: type | None) -> Callable[[type], type]:
    return extend_schema(
        tags=TAGS,
        summary=summary,
        description=description,
        parameters=[X_COMPANY_PARAMETER],
        request=request,
        responses={
            200: OrderSerializer,
            400: ERRORS_400,
            403: ERRORS_403,
            404: ERRORS_404,
            409: ERRORS_409,
        },
    )


@_action_schema(
    "Confirm an order (seller)",
    "placed → confirmed. Under CPT, CIP, CFR, CIF, DAP, DPU and DDP the seller pays the main "
    "carriage: `freight` is required (and `insurance` under CIF and CIP); under E and F rules "
    "both must be left out.",
    OrderConfirmSerializer,
)
class OrderConfirmView(_OrderAction):
    body = OrderConfirmSerializer

    def act(self, *, order, company, user, data):
        services.order_confirm(
            order=order, actor=user, freight=data.get("freight"), insurance=data.get("insurance")
        )


@_action_schema(
    "Cancel an order",
    "The buyer cancels before payment, the seller before shipping; the stock is released.",
    ReasonSerializer,
)
class OrderCancelView(_OrderAction):
    body = ReasonSerializer

    def act(self, *, order, company, user, data):
        services.order_cancel(order=order, actor=user, company=company, reason=data["reason"])


@_action_schema(
    "Ship an order (seller)",
    "paid → shipped, with the carrier and the tracking number; the ship date is today "
    "unless given.",
    OrderShipSerializer,
)
class OrderShipView(_OrderAction):
    body = OrderShipSerializer

    def act(self, *, order, company, user, data):
        services.order_ship(
            order=order,
            actor=user,
            carrier=data["carrier"],
            tracking_number=data["tracking_number"],
            ship_date=data.get("ship_date"),
        )


@_action_schema(
    "Confirm delivery (buyer)",
    "shipped → delivered; the inspection window starts.",
    None,
)
class OrderConfirmDeliveryView(_OrderAction):
    def act(self, *, order, company, user, data):
        services.order_confirm_delivery(order=order, actor=user)


@_action_schema(
    "Accept the goods (buyer)",
    "delivered → completed at once; the seller is settled.",
    None,
)
class OrderAcceptView(_OrderAction):
    def act(self, *, order, company, user, data):
        services.order_accept(order=order, actor=user)


@_action_schema(
    "Open a dispute (buyer)",
    "delivered → disputed, with a reason, within the inspection window.",
    ReasonSerializer,
)
class OrderDisputeView(_OrderAction):
    body = ReasonSerializer

    def act(self, *, order, company, user, data):
        services.order_dispute_open(order=order, actor=user, reason=data["reason"])


class ListingLandedCostView(APIView):
    """What a quantity of a listing will cost at the buyer's border."""

    permission_classes = [AllowAny]

    @extend_schema(
        tags=["listings"],
        summary="Landed-cost estimate for a listing",
        description="Goods at the tier price for the quantity, freight and insurance as the "
        "Incoterm assigns them, the customs value, duty and import tax at the destination's "
        "rates (the `sample_rates` flag marks unchecked sample data), the total for the "
        "buyer, and who pays each. Freight is left out of the totals unless given.",
        parameters=[LandedCostQuerySerializer],
        responses={200: LandedCostSerializer, 400: ERRORS_400, 404: ERRORS_404},
    )
    def get(self, request: Request, pk: int) -> Response:
        user = request.user if request.user.is_authenticated else None
        company = get_active_company(request) if user is not None else None
        listing = listing_get_visible(listing_id=pk, user=user, company=company)
        form = LandedCostEstimateForm(request.query_params, listing=listing)
        if not form.is_valid() or form.estimate is None:
            raise ValidationError(
                {
                    ("non_field_errors" if key == "__all__" else key): [str(m) for m in messages]
                    for key, messages in form.errors.items()
                }
                or {"detail": ["No estimate could be made."]}
            )
        estimate = form.estimate
        return Response(
            {
                "listing": listing.pk,
                "quantity": estimate.quantity,
                "unit_price": {
                    "amount": f"{estimate.unit_price.amount:.4f}",
                    "currency": estimate.unit_price.currency,
                },
                **estimate.landed_cost.as_dict(),
            }
        )
