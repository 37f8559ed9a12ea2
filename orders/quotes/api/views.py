"""The quotes API: thin views over orders.quotes.services and orders.quotes.selectors.

The services' flat field errors become nested JSON as DRF's own (3.18 keys a list's errors by
index): ``lines[1].unit_price`` is ``{"lines": {"1": {"unit_price": [...]}}}`` and ``ship_to.country`` is
``{"ship_to": {"country": [...]}}``."""

import re
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.accounts.api.company import (
    X_COMPANY_PARAMETER,
    HasActiveCompany,
    require_active_company,
)
from marketplace.accounts.models import Company
from marketplace.core.api.pagination import PageNumberPagination
from marketplace.trade.money import Money
from orders.quotes import selectors, services
from orders.quotes.api.serializers import (
    ConversationQuoteWriteSerializer,
    QuoteAcceptedSerializer,
    QuoteAcceptSerializer,
    QuoteDetailSerializer,
    QuoteListQuerySerializer,
    QuoteReasonSerializer,
    QuoteReviseSerializer,
    QuoteSerializer,
    QuoteWriteSerializer,
)
from orders.quotes.models import Quote
from orders.rfqs.selectors import rfq_get_for_company
from orders.services import ShipTo

TAGS = ["quotes"]
ERRORS_400 = OpenApiResponse(
    description='Field errors: `{"field": ["message", ...]}`; a line\'s under `lines` by its '
    'index: `{"lines": {"1": {"unit_price": ["..."]}}}`.'
)
ERRORS_403 = OpenApiResponse(
    description="Your company may not do this (it does not sell or is not verified, or your "
    "email is not confirmed)."
)
ERRORS_404 = OpenApiResponse(description="No such quote, RFQ or conversation among your company's.")
ERRORS_409 = OpenApiResponse(
    description="The state does not allow it: the RFQ is not open, you already have a live "
    "quote on it, the version is not the live one (revised, withdrawn, declined, accepted, "
    "expired), or the stock is short."
)
_LINE_KEY = re.compile(r"^lines\[(\d+)\]\.(\w+)$")


def quote_errors(exc: DjangoValidationError) -> ValidationError:
    flat: dict[str, list[str]] = (
        exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
    )
    nested: dict[str, Any] = {}
    line_errors: dict[int, dict[str, list[str]]] = {}
    for key, messages in flat.items():
        match = _LINE_KEY.match(key)
        if match:
            line_errors.setdefault(int(match[1]), {})[match[2]] = messages
        elif "." in key:
            head, tail = key.split(".", 1)
            nested.setdefault(head, {})[tail] = messages
        else:
            nested[key] = messages
    if line_errors:
        nested["lines"] = {str(i): line_errors[i] for i in sorted(line_errors)}
    return ValidationError(nested)


def _line_inputs(lines: list[dict[str, Any]]) -> list[services.QuoteLineInput]:
    return [
        services.QuoteLineInput(
            description=line["description"],
            hs_code=line["hs_code"],
            origin_country=line["origin_country"],
            quantity=line["quantity"],
            unit_price=line["unit_price"],
            listing_id=line["listing"],
            from_stock=line["from_stock"],
            unit=line["unit"],
            unit_net_weight_kg=line["unit_net_weight_kg"],
            units_per_carton=line["units_per_carton"],
            carton_gross_weight_kg=line["carton_gross_weight_kg"],
            carton_length_cm=line["carton_length_cm"],
            carton_width_cm=line["carton_width_cm"],
            carton_height_cm=line["carton_height_cm"],
        )
        for line in lines
    ]


def _amount(data: dict[str, Any], name: str, errors: dict[str, list[str]]) -> Any:
    value = data.get(name)
    if value is None:
        return None
    if value["currency"] != data["currency"]:
        errors[name] = [f"Give the {name} in the quote's currency, {data['currency']}."]
        return None
    return value["amount"]


def _quote_kwargs(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    freight = _amount(data, "freight", errors)
    insurance = _amount(data, "insurance", errors)
    if errors:
        raise ValidationError(errors)
    return {
        "lines": _line_inputs(data["lines"]),
        "currency": data["currency"],
        "incoterm": data["incoterm"],
        "named_place": data["named_place"],
        "freight": freight,
        "insurance": insurance,
        "lead_time_days": data["lead_time_days"],
        "valid_until": data["valid_until"],
        "notes": data["notes"],
    }


def _detail(company: Company, quote_id: int, *, code: int = status.HTTP_200_OK) -> Response:
    quote = selectors.quote_get_for_company(company=company, quote_id=quote_id)
    versions = selectors.quote_versions(quote=quote)
    data = QuoteDetailSerializer(quote, context={"company": company, "versions": versions}).data
    return Response(data, status=code)


def _page(request: Request, view: APIView, company: Company, quotes: Any) -> Response:
    paginator = PageNumberPagination()
    page: Any = paginator.paginate_queryset(quotes, request, view=view)
    data = QuoteSerializer(page, many=True, context={"company": company}).data
    return paginator.get_paginated_response(data)


class QuoteListCreateView(APIView):
    permission_classes = [HasActiveCompany]
    pagination_class = PageNumberPagination  # documents the page envelope
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAGS,
        summary="Your company's quotes",
        description="The current version of each quote your company gave or received, newest "
        "first.",
        parameters=[X_COMPANY_PARAMETER, QuoteListQuerySerializer],
        responses={200: QuoteSerializer(many=True), 400: ERRORS_400, 403: ERRORS_403},
    )
    def get(self, request: Request) -> Response:
        company = require_active_company(request)
        query = QuoteListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        quotes = selectors.quote_list_for_company(
            company=company, role=query.validated_data.get("role")
        )
        return _page(request, self, company, quotes)

    @extend_schema(
        tags=TAGS,
        summary="Quote in a conversation (seller)",
        description="Answer a buyer's conversation with a quote. The landed cost at the "
        "buyer's border (`destination_country`, else the buyer company's country) is frozen "
        "on the version.",
        parameters=[X_COMPANY_PARAMETER],
        request=ConversationQuoteWriteSerializer,
        responses={
            201: QuoteDetailSerializer,
            400: ERRORS_400,
            403: ERRORS_403,
            404: ERRORS_404,
            409: ERRORS_409,
        },
    )
    def post(self, request: Request) -> Response:
        company = require_active_company(request)
        serializer = ConversationQuoteWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            quote = services.quote_submit(
                actor=request.user,  # type: ignore[arg-type]
                seller=company,
                conversation=data["conversation"],
                destination_country=data["destination_country"] or None,
                **_quote_kwargs(data),
            )
        except DjangoValidationError as exc:
            raise quote_errors(exc) from None
        return _detail(company, quote.pk, code=status.HTTP_201_CREATED)


class RFQQuotesView(APIView):
    permission_classes = [HasActiveCompany]
    pagination_class = PageNumberPagination  # documents the page envelope
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAGS,
        summary="Quotes on an RFQ",
        description="For the RFQ's buyer: the current version of each seller's quote, in any "
        "status, with its landed cost, oldest first. For a seller: its own only.",
        parameters=[X_COMPANY_PARAMETER],
        responses={200: QuoteSerializer(many=True), 403: ERRORS_403, 404: ERRORS_404},
    )
    def get(self, request: Request, pk: int) -> Response:
        company = require_active_company(request)
        rfq = rfq_get_for_company(company=company, rfq_id=pk)
        return _page(request, self, company, selectors.quote_list_for_rfq(company=company, rfq=rfq))

    @extend_schema(
        tags=TAGS,
        summary="Quote on an RFQ (seller)",
        description="Version 1 of your quote; one live quote per seller and RFQ (revise it "
        "to change it). The landed cost at the RFQ's destination is frozen on the version.",
        parameters=[X_COMPANY_PARAMETER],
        request=QuoteWriteSerializer,
        responses={
            201: QuoteDetailSerializer,
            400: ERRORS_400,
            403: ERRORS_403,
            404: ERRORS_404,
            409: ERRORS_409,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        company = require_active_company(request)
        serializer = QuoteWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            quote = services.quote_submit(
                actor=request.user,  # type: ignore[arg-type]
                seller=company,
                rfq=pk,
                **_quote_kwargs(serializer.validated_data),
            )
        except DjangoValidationError as exc:
            raise quote_errors(exc) from None
        return _detail(company, quote.pk, code=status.HTTP_201_CREATED)


class QuoteDetailView(APIView):
    permission_classes = [HasActiveCompany]

    @extend_schema(
        tags=TAGS,
        summary="A quote, with all its versions",
        description="One version of a quote your company gave or received; `versions` lists "
        "every version, newest first. Any other is a 404.",
        parameters=[X_COMPANY_PARAMETER],
        responses={200: QuoteDetailSerializer, 404: ERRORS_404},
    )
    def get(self, request: Request, pk: int) -> Response:
        return _detail(require_active_company(request), pk)


def _quote_of(request: Request, pk: int) -> tuple[Company, Quote]:
    company = require_active_company(request)
    return company, selectors.quote_get_for_company(company=company, quote_id=pk)


_ACTION_RESPONSES = {
    400: ERRORS_400,
    403: ERRORS_403,
    404: ERRORS_404,
    409: ERRORS_409,
}


class QuoteReviseView(APIView):
    permission_classes = [HasActiveCompany]
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAGS,
        summary="Revise a quote (seller)",
        description="The full quote again: writes version n + 1 with the same number; version "
        "n becomes `revised` and stays readable. Only the live (submitted, unexpired) version.",
        parameters=[X_COMPANY_PARAMETER],
        request=QuoteReviseSerializer,
        responses={201: QuoteDetailSerializer, **_ACTION_RESPONSES},
    )
    def post(self, request: Request, pk: int) -> Response:
        company, quote = _quote_of(request, pk)
        serializer = QuoteReviseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            revised = services.quote_revise(
                quote=quote,
                actor=request.user,  # type: ignore[arg-type]
                seller=company,
                destination_country=data["destination_country"] or None,
                **_quote_kwargs(data),
            )
        except DjangoValidationError as exc:
            raise quote_errors(exc) from None
        return _detail(company, revised.pk, code=status.HTTP_201_CREATED)


class QuoteWithdrawView(APIView):
    permission_classes = [HasActiveCompany]
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAGS,
        summary="Withdraw a quote (seller)",
        description="submitted → withdrawn.",
        parameters=[X_COMPANY_PARAMETER],
        request=QuoteReasonSerializer,
        responses={200: QuoteDetailSerializer, **_ACTION_RESPONSES},
    )
    def post(self, request: Request, pk: int) -> Response:
        company, quote = _quote_of(request, pk)
        serializer = QuoteReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.quote_withdraw(
                quote=quote,
                actor=request.user,  # type: ignore[arg-type]
                seller=company,
                reason=serializer.validated_data["reason"],
            )
        except DjangoValidationError as exc:
            raise quote_errors(exc) from None
        return _detail(company, quote.pk)


class QuoteDeclineView(APIView):
    permission_classes = [HasActiveCompany]
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAGS,
        summary="Decline a quote (buyer)",
        description="submitted → declined, with a reason the seller reads.",
        parameters=[X_COMPANY_PARAMETER],
        request=QuoteReasonSerializer,
        responses={200: QuoteDetailSerializer, **_ACTION_RESPONSES},
    )
    def post(self, request: Request, pk: int) -> Response:
        company, quote = _quote_of(request, pk)
        serializer = QuoteReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.quote_decline(
                quote=quote,
                actor=request.user,  # type: ignore[arg-type]
                buyer=company,
                reason=serializer.validated_data["reason"],
            )
        except DjangoValidationError as exc:
            raise quote_errors(exc) from None
        return _detail(company, quote.pk)


class QuoteAcceptView(APIView):
    permission_classes = [HasActiveCompany]
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAGS,
        summary="Accept a quote (buyer)",
        description="Places the order with the quoted prices and terms (stock of from-stock "
        "lines reserved, the landed cost frozen), closes the RFQ and declines its other "
        "quotes, all at once. The ship-to country must be the quote's destination. The order "
        "then goes on as any order: the seller confirms, you pay.",
        parameters=[X_COMPANY_PARAMETER],
        request=QuoteAcceptSerializer,
        responses={201: QuoteAcceptedSerializer, **_ACTION_RESPONSES},
    )
    def post(self, request: Request, pk: int) -> Response:
        company, quote = _quote_of(request, pk)
        serializer = QuoteAcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            order = services.quote_accept(
                quote=quote,
                actor=request.user,  # type: ignore[arg-type]
                buyer=company,
                ship_to=ShipTo(**data["ship_to"]),
                buyer_reference=data["buyer_reference"],
            )
        except DjangoValidationError as exc:
            raise quote_errors(exc) from None
        return Response(
            {
                "order": order.pk,
                "order_number": order.number,
                "order_status": order.status,
                "quote": quote.pk,
                "quote_status": "accepted",
                "total": Money.from_minor_units(order.total_minor, order.currency).as_dict(),
                "landed_cost": order.landed_cost,
            },
            status=status.HTTP_201_CREATED,
        )
