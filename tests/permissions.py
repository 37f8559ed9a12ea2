"""Granting Django permissions to test users ("app_label.codename")."""

from django.contrib.auth.models import Permission

from marketplace.accounts.models import User


def grant(user: User, *permissions: str) -> User:
    """Give ``user`` the permissions and forget its cached ones; returns the user."""
    for permission in permissions:
        app_label, codename = permission.split(".", 1)
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)
    return user
