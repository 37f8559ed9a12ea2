"""The listings API: thin views over listings.search, listings.selectors and listings.services."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from listings import services
from listings.api.serializers import (
    SEARCH_COUNT_NOTE,
    CategoryTreeSerializer,
    ListingImageSerializer,
    ListingImageUploadSerializer,
    ListingRejectSerializer,
    ListingSearchQuerySerializer,
    ListingSerializer,
    ListingWriteSerializer,
    MyListingsQuerySerializer,
    listing_rows_data,
)
from listings.models import Listing
from listings.search import listing_search_hits, parse_search_params
from listings.selectors import (
    category_tree,
    listing_get_for_company,
    listing_get_for_page,
    listing_get_visible,
    listing_image_list_for_seller,
    listing_list_for_company,
    listing_public_row,
    listing_public_rows,
)
from marketplace.accounts.api.company import (
    X_COMPANY_PARAMETER,
    HasActiveCompany,
    acting_user,
    get_active_company,
    require_active_company,
)
from marketplace.accounts.api.staff import staff_permission
from marketplace.core.api.pagination import PageNumberPagination
from marketplace.core.api.schema import AutoSchema
from marketplace.core.ids import id_parse

TAGS = ["listings"]


class ListingSearchPagination(PageNumberPagination):
    """Pages over the ids of a search's results (at most SEARCH_RESULT_LIMIT, in order), with
    ``corrected_query``: the corrected words whose results were added when few listings
    matched the words asked (a typo), else null."""

    corrected_query: str | None = None

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        body = dict(response.data)
        response.data = {
            "count": body.pop("count"),
            "corrected_query": self.corrected_query,
            **body,
        }
        return response

    def get_paginated_response_schema(self, schema: dict) -> dict:
        envelope = super().get_paginated_response_schema(schema)
        envelope["properties"] = {
            "count": envelope["properties"]["count"],
            "corrected_query": {
                "type": "string",
                "nullable": True,
                "example": "stainless steel",
                "description": "When few listings matched the words asked and a spelling "
                "correction added results: the corrected words (for “stainles steel”, "
                "“stainless steel”); else null.",
            },
            **{name: value for name, value in envelope["properties"].items() if name != "count"},
        }
        return envelope


def _listing_response(
    request: Request, listing: Listing, *, code: int = status.HTTP_200_OK
) -> Response:
    context = {"request": request, "company": get_active_company(request)}
    return Response(ListingSerializer(listing, context=context).data, status=code)


def _reloaded_for_company(request: Request, listing: Listing) -> Listing:
    # Services return the locked row; the response shows tiers, images and relations fresh.
    return listing_get_for_company(company=get_active_company(request), listing_id=listing.pk)


class _ListingSearchSchema(AutoSchema):
    # The search's envelope has `corrected_query`: a component of its own, not the
    # PaginatedListingList of the other listing lists.
    def get_paginated_name(self, serializer_name: str) -> str:
        return "ListingSearchPage"


class ListingListCreateView(APIView):
    """Search the published catalogue (anyone), or list a new product (a selling company)."""

    pagination_class = ListingSearchPagination  # also documents the list envelope
    schema = _ListingSearchSchema()

    def get_permissions(self):
        if self.request.method == "POST":
            return [HasActiveCompany()]
        return [AllowAny()]

    @extend_schema(
        tags=TAGS,
        summary="Search published listings",
        description=SEARCH_COUNT_NOTE,
        parameters=[ListingSearchQuerySerializer],
        responses=ListingSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        params = parse_search_params(request.query_params)
        paginator = ListingSearchPagination()
        # The search settles the ids of its results in order (one query); the page's listings
        # come as plain rows in one more query and become the JSON ListingSerializer would give
        # for them (public reads: no private fields).
        hits, paginator.corrected_query = listing_search_hits(params=params)
        ids = paginator.paginate_queryset(hits, request, view=self)
        rows = listing_public_rows(ids=ids or [])
        return paginator.get_paginated_response(listing_rows_data(rows, request=request))

    @extend_schema(
        tags=TAGS,
        summary="Create a listing (draft)",
        description="For members of a selling company. The listing starts as a draft; "
        "submit it for review to publish it.",
        parameters=[X_COMPANY_PARAMETER],
        request=ListingWriteSerializer,
        responses={201: ListingSerializer},
    )
    def post(self, request: Request) -> Response:
        company = require_active_company(request)
        serializer = ListingWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        listing = services.listing_create(
            seller=company, actor=acting_user(request), **serializer.to_service_kwargs()
        )
        return _listing_response(
            request, _reloaded_for_company(request, listing), code=status.HTTP_201_CREATED
        )


class ListingDetailView(APIView):
    """One listing: published ones for anyone; drafts and the like for the seller and staff."""

    def get_permissions(self):
        if self.request.method == "GET":
            return [AllowAny()]
        return [HasActiveCompany()]

    def _own(self, request: Request, pk: int) -> Listing:
        return listing_get_for_company(company=require_active_company(request), listing_id=pk)

    @extend_schema(
        tags=TAGS,
        summary="A listing",
        description="A listing that is not published is found only by its seller's members "
        "and by staff; anyone else gets 404.",
        parameters=[X_COMPANY_PARAMETER],
        responses=ListingSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        company = get_active_company(request)
        if company is None and id_parse(pk) is not None:
            # A published listing read by someone with no company (public, as the search's
            # results): one plain row, formatted as ListingSerializer would format it.
            row = listing_public_row(listing_id=pk)
            if row is not None:
                return Response(listing_rows_data([row], request=request)[0])
        user = request.user if request.user.is_authenticated else None
        # With its relations, tiers and photos in one query (the page's selector).
        listing = listing_get_for_page(listing_id=pk, user=user, company=company)
        return _listing_response(request, listing)

    @extend_schema(
        tags=TAGS,
        summary="Edit one of your listings",
        description="Changing the title, HS code, origin or prices of a published listing "
        "sends it back to review; stock changes do not.",
        parameters=[X_COMPANY_PARAMETER],
        request=ListingWriteSerializer(partial=True),
        responses={
            200: ListingSerializer,
            409: OpenApiResponse(description="The listing's status does not allow this edit."),
        },
    )
    def patch(self, request: Request, pk: int) -> Response:
        listing = self._own(request, pk)
        serializer = ListingWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = serializer.to_service_kwargs()
        listing = services.listing_update(listing=listing, actor=acting_user(request), **changes)
        return _listing_response(request, _reloaded_for_company(request, listing))

    @extend_schema(
        tags=TAGS,
        summary="Delete a draft",
        description="Only drafts can be deleted (409 otherwise); archive the others.",
        parameters=[X_COMPANY_PARAMETER],
        responses={
            204: None,
            409: OpenApiResponse(description="Not a draft: archive it instead."),
        },
    )
    def delete(self, request: Request, pk: int) -> Response:
        services.listing_delete(listing=self._own(request, pk), actor=acting_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class _OwnListingAction(APIView):
    permission_classes = [HasActiveCompany]
    service: Any = None

    def post(self, request: Request, pk: int) -> Response:
        listing = listing_get_for_company(company=require_active_company(request), listing_id=pk)
        listing = type(self).service(listing=listing, actor=acting_user(request))
        return _listing_response(request, _reloaded_for_company(request, listing))


@extend_schema(
    tags=TAGS,
    summary="Submit a listing for review",
    description="A draft or a rejected listing goes to the moderators (409 otherwise).",
    parameters=[X_COMPANY_PARAMETER],
    request=None,
    responses=ListingSerializer,
)
class ListingSubmitView(_OwnListingAction):
    service = staticmethod(services.listing_submit)


@extend_schema(
    tags=TAGS,
    summary="Archive a listing",
    description="Takes it off the catalogue for good.",
    parameters=[X_COMPANY_PARAMETER],
    request=None,
    responses=ListingSerializer,
)
class ListingArchiveView(_OwnListingAction):
    service = staticmethod(services.listing_archive)


class ListingImageCreateView(APIView):
    permission_classes = [HasActiveCompany]
    parser_classes = [MultiPartParser]  # the photo upload; GET takes no body

    @extend_schema(
        tags=TAGS,
        summary="The photos of one of your listings, with their processing status",
        description="Every photo, pending, ready or failed (with `failure_reason`); the "
        "listing itself shows ready ones only.",
        parameters=[X_COMPANY_PARAMETER],
        responses={200: ListingImageSerializer(many=True)},
    )
    def get(self, request: Request, pk: int) -> Response:
        listing = listing_get_for_company(company=require_active_company(request), listing_id=pk)
        images = listing_image_list_for_seller(listing=listing)
        return Response(
            ListingImageSerializer(images, many=True, context={"request": request}).data
        )

    @extend_schema(
        tags=TAGS,
        summary="Add a photo to one of your listings",
        description="Multipart field `image` (JPEG, PNG or WebP by its first bytes; 5 MB at "
        "most) and optional `alt_text`. The answer is the image as `pending`: the worker "
        "decodes it (8,000 px a side and `LISTING_IMAGE_MAX_PIXELS` at most), strips its "
        "metadata and makes the public copies, or marks it `failed` with the reason.",
        parameters=[X_COMPANY_PARAMETER],
        request={"multipart/form-data": ListingImageUploadSerializer},
        responses={
            201: ListingImageSerializer,
            409: OpenApiResponse(description="The listing's status does not allow edits."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        listing = listing_get_for_company(company=require_active_company(request), listing_id=pk)
        serializer = ListingImageUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        image = services.listing_image_add(
            listing=listing,
            actor=acting_user(request),
            file=serializer.validated_data["image"],
            alt_text=serializer.validated_data["alt_text"],
        )
        data = ListingImageSerializer(image, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)


class MyListingListView(APIView):
    permission_classes = [HasActiveCompany]
    pagination_class = PageNumberPagination

    @extend_schema(
        tags=TAGS,
        summary="Your company's listings",
        description="Every listing of the acting company, in any status, newest first.",
        parameters=[X_COMPANY_PARAMETER, MyListingsQuerySerializer],
        responses=ListingSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        query = MyListingsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        company = require_active_company(request)
        listings: QuerySet[Listing] = listing_list_for_company(
            company=company, status=query.validated_data.get("status")
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(listings, request, view=self)
        context = {"request": request, "company": company}
        data = ListingSerializer(page, many=True, context=context).data
        return paginator.get_paginated_response(data)


class CategoryListView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        summary="The category tree",
        description="Top-level categories in order, each with its children; not paginated.",
        responses=CategoryTreeSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        return Response(CategoryTreeSerializer(category_tree(), many=True).data)


class _ModerationView(APIView):
    permission_classes = [staff_permission("listings.moderate_listing")]

    def _listing(self, request: Request, pk: int) -> Listing:
        return listing_get_visible(listing_id=pk, user=acting_user(request), company=None)


class ListingApproveView(_ModerationView):
    @extend_schema(
        tags=["moderation"],
        summary="Approve a listing (staff)",
        description="Publishes a listing pending review. 409 if its seller is not verified "
        "(`seller_not_verified`) or the listing is not pending review.",
        request=None,
        responses=ListingSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        listing = services.listing_approve(
            listing=self._listing(request, pk), actor=acting_user(request)
        )
        return _listing_response(request, self._listing(request, listing.pk))


class ListingRejectView(_ModerationView):
    @extend_schema(
        tags=["moderation"],
        summary="Reject a listing (staff)",
        description="The reason is required; the seller sees it.",
        request=ListingRejectSerializer,
        responses=ListingSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        serializer = ListingRejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        listing = services.listing_reject(
            listing=self._listing(request, pk),
            actor=acting_user(request),
            reason=serializer.validated_data["reason"],
        )
        return _listing_response(request, self._listing(request, listing.pk))
