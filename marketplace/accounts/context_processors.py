from django.http import HttpRequest

from marketplace.accounts.selectors import membership_list_for_user


def active_company(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"active_company": None, "user_memberships": []}
    company = getattr(request, "active_company", None)
    return {
        "active_company": company if company else None,
        "user_memberships": list(membership_list_for_user(user=user)),
    }
