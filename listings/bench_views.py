"""The framework's ceiling for bench/detail: one primary-key lookup, a tiny JSON answer.

Mounted only when ``settings.BENCH_VIEWS`` is true (marketplace/urls.py), never in production.
"""

from django.http import Http404, HttpRequest, JsonResponse

from listings.enums import ListingStatus
from listings.models import Listing


def listing_ceiling(request: HttpRequest, pk: int) -> JsonResponse:
    # Published only, so that turning the flag on by mistake cannot reveal a draft's title.
    row = (
        Listing.objects.filter(pk=pk, status=ListingStatus.PUBLISHED).values("id", "title").first()
    )
    if row is None:
        raise Http404("No published listing with this id.")
    return JsonResponse(row)
