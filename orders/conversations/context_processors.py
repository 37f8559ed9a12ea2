"""The header's unread count: one query summing the acting company's counters."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from orders.conversations.selectors import message_unread_count_for_company


def unread_messages(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    company = getattr(request, "active_company", None)
    if user is None or not user.is_authenticated or not company:
        return {"unread_messages": 0}
    # Lazy: pages that do not show the header (partials, downloads) make no query.
    return {
        "unread_messages": SimpleLazyObject(
            lambda: message_unread_count_for_company(company=company)
        )
    }
