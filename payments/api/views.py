"""The payments API: pay a confirmed order, and drive the offline sandbox."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.accounts.api.company import (
    X_COMPANY_PARAMETER,
    HasActiveCompany,
    acting_user,
    require_active_company,
)
from marketplace.core.exceptions import NotFound
from marketplace.core.ids import opaque_id_parse
from orders import selectors as order_selectors
from payments import collection
from payments.api.serializers import PaymentSerializer
from payments.gateway import GatewayError, gateway_get, sandbox_enabled
from payments.models import Payment
from payments.sandbox import SandboxGateway

TAGS = ["payments"]


@extend_schema(
    tags=TAGS,
    summary="Pay a confirmed order (buyer)",
    description=(
        "Creates the order's PaymentIntent (in the order's currency and minor units, "
        "`transfer_group` = order number) or returns the one still open, with the "
        "`client_secret` for Stripe's Payment Element. The order becomes paid when the gateway "
        "confirms (webhook `payment_intent.succeeded`). 201 when a PaymentIntent was created, "
        "200 when the open one is returned. In the offline sandbox, finish it with "
        "`POST /api/v1/sandbox/payments/{payment_intent}/succeed/`."
    ),
    parameters=[X_COMPANY_PARAMETER],
    request=None,
    responses={
        200: PaymentSerializer,
        201: PaymentSerializer,
        403: OpenApiResponse(description="Your company is the seller, not the buyer."),
        404: OpenApiResponse(description="No such order among your company's."),
        409: OpenApiResponse(description="The order is not confirmed (e.g. already paid)."),
        502: OpenApiResponse(description="The payment gateway refused the request."),
        503: OpenApiResponse(
            description="The payment gateway could not be reached: try again (same PaymentIntent)."
        ),
    },
)
class OrderPaymentView(APIView):
    permission_classes = [HasActiveCompany]

    def post(self, request: Request, pk: int) -> Response:
        company = require_active_company(request)
        order = order_selectors.order_get_for_company(company=company, order_id=pk)
        try:
            started = collection.payment_start(
                order=order, company=company, actor=acting_user(request)
            )
        except GatewayError as exc:
            return _gateway_error_response(exc)
        return Response(
            PaymentSerializer(started.payment).data,
            status=status.HTTP_201_CREATED if started.created else status.HTTP_200_OK,
        )


def _gateway_error_response(exc: GatewayError) -> Response:
    """The gateway could not be asked (503: try again, the same PaymentIntent comes back) or
    refused the request for good (502). Nothing is lost: the attempt and its key are kept."""
    if exc.retryable:
        return Response(
            {
                "detail": "The payment gateway is unavailable; please try again shortly.",
                "code": "gateway_unavailable",
            },
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "30"},
        )
    return Response(
        {"detail": "The payment gateway refused the payment.", "code": "gateway_refused"},
        status=status.HTTP_502_BAD_GATEWAY,
    )


class _SandboxOutcome(APIView):
    """The sandbox plays the buyer's bank. 404 whenever the sandbox is off."""

    permission_classes = [IsAuthenticated]
    succeed = True

    def post(self, request: Request, payment_intent: str) -> Response:
        if not sandbox_enabled() or opaque_id_parse(payment_intent) is None:
            raise NotFound
        payment = (
            Payment.objects.filter(payment_intent_id=payment_intent, sandbox=True)
            .select_related("order")
            .first()
        )
        company = require_active_company(request)
        if payment is None or payment.order.buyer_id != company.pk:
            raise NotFound
        gateway = gateway_get()
        assert isinstance(gateway, SandboxGateway)
        gateway.payment_intent_settle(payment_intent, succeed=self.succeed)
        payment.refresh_from_db()
        return Response(PaymentSerializer(payment).data)


_SANDBOX_RESPONSES = {
    200: PaymentSerializer,
    404: OpenApiResponse(description="The sandbox is off, or no such sandbox payment of yours."),
    409: OpenApiResponse(description="The payment already succeeded or was canceled."),
}


@extend_schema(
    tags=["sandbox"],
    summary="Sandbox: the payment succeeds",
    description="Offline sandbox only (no Stripe key): the buyer's bank accepts the payment and "
    "the sandbox sends the signed `payment_intent.succeeded` event to the platform's webhook, "
    "which marks the order paid. No real money moves.",
    parameters=[X_COMPANY_PARAMETER],
    request=None,
    responses=_SANDBOX_RESPONSES,
)
class SandboxSucceedView(_SandboxOutcome):
    succeed = True


@extend_schema(
    tags=["sandbox"],
    summary="Sandbox: the payment fails",
    description="Offline sandbox only: the card is declined and the sandbox sends the signed "
    "`payment_intent.payment_failed` event. The buyer may try again.",
    parameters=[X_COMPANY_PARAMETER],
    request=None,
    responses=_SANDBOX_RESPONSES,
)
class SandboxFailView(_SandboxOutcome):
    succeed = False
