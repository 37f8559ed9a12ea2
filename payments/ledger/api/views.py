from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.accounts.api.staff import staff_permission
from payments.ledger.api.serializers import LedgerBalanceSerializer, LedgerCheckSerializer
from payments.ledger.selectors import ledger_balances, ledger_check


@extend_schema(
    tags=["ledger"],
    summary="Balances of every ledger account (staff)",
    description="One row per account and currency, derived from the entries; seller accounts "
    "one per seller company. Not paginated. Staff with `ledger.view_ledger` only.",
    responses=LedgerBalanceSerializer(many=True),
)
class LedgerBalancesView(APIView):
    permission_classes = [staff_permission("ledger.view_ledger")]
    pagination_class = None

    def get(self, request: Request) -> Response:
        return Response(LedgerBalanceSerializer(ledger_balances(), many=True).data)


@extend_schema(
    tags=["ledger"],
    summary="Check that the ledger balances (staff)",
    description="Whether every transaction's entries sum to zero per currency, computed in "
    "the database, and how many transactions there are. Staff with `ledger.view_ledger` only.",
    responses=LedgerCheckSerializer,
)
class LedgerCheckView(APIView):
    permission_classes = [staff_permission("ledger.view_ledger")]

    def get(self, request: Request) -> Response:
        return Response(LedgerCheckSerializer(ledger_check()).data)
