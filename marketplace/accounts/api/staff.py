"""DRF permission for staff powers: a Django permission, not ``is_staff`` alone.

class LedgerBalancesView(APIView):
    permission_classes = [staff_permission("ledger.view_ledger")]
"""

from rest_framework.permissions import BasePermission

from marketplace.accounts.staff import staff_may


def staff_permission(permission: str) -> type[BasePermission]:
    """A permission class admitting active staff who hold ``permission`` ("app.codename")."""

    class StaffPermission(BasePermission):
        message = "This needs platform staff with a permission you do not have."

        def has_permission(self, request, view) -> bool:
            return staff_may(request.user, permission)

    StaffPermission.__name__ = f"StaffPermission[{permission}]"
    return StaffPermission
