"""Django's admin app, with the two-factor site as ``admin.site`` (see ``admin_site``).

Listed in INSTALLED_APPS instead of ``django.contrib.admin``; every ``admin.register`` in the
project then registers on the marketplace's site.
"""

from django.contrib.admin.apps import AdminConfig


class MarketplaceAdminConfig(AdminConfig):
    default_site = "marketplace.accounts.admin_site.MarketplaceAdminSite"
