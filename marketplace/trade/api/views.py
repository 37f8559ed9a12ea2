from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.trade.api.serializers import (
    CurrencySerializer,
    HSCodeSearchParamsSerializer,
    HSCodeSerializer,
    IncotermSerializer,
)
from marketplace.trade.currencies import CURRENCIES
from marketplace.trade.incoterms import INCOTERMS
from marketplace.trade.selectors import hs_code_search


@extend_schema(
    tags=["trade"],
    summary="Search HS 2022 codes",
    parameters=[HSCodeSearchParamsSerializer],
)
class HSCodeListView(generics.ListAPIView):
    """HS codes are public data: anyone may search them."""

    permission_classes = [AllowAny]
    serializer_class = HSCodeSerializer

    def get_queryset(self):
        params = HSCodeSearchParamsSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return hs_code_search(q=params.validated_data["q"], level=params.validated_data["level"])


@extend_schema(
    tags=["trade"],
    summary="The eleven Incoterms 2020 rules",
    description="All eleven rules in one response; this list is not paginated.",
    responses=IncotermSerializer(many=True),
)
class IncotermListView(APIView):
    permission_classes = [AllowAny]
    pagination_class = None

    def get(self, request: Request) -> Response:
        return Response(IncotermSerializer(list(INCOTERMS.values()), many=True).data)


@extend_schema(
    tags=["trade"],
    summary="Supported currencies",
    description="Every currency the marketplace trades in; this list is not paginated.",
    responses=CurrencySerializer(many=True),
)
class CurrencyListView(APIView):
    permission_classes = [AllowAny]
    pagination_class = None

    def get(self, request: Request) -> Response:
        return Response(CurrencySerializer(list(CURRENCIES.values()), many=True).data)
