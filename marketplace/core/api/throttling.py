"""DRF throttles keyed on :func:`marketplace.core.client_address.client_address`."""

from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle

from marketplace.core.client_address import client_address


class ClientAddressMixin:
    """DRF's own ``get_ident`` trusts ``X-Forwarded-For`` by default; ours is the one rule."""

    def get_ident(self, request) -> str:
        return client_address(request)


class ClientScopedRateThrottle(ClientAddressMixin, ScopedRateThrottle):
    """A view's ``throttle_scope`` budget per client address (per user once signed in)."""


class ClientAddressRateThrottle(ClientAddressMixin, SimpleRateThrottle):
    """A budget per client address alone; subclasses name the ``scope``."""

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
