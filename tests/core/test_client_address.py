"""The one client-address rule that every limit keys on (TRUSTED_PROXY_COUNT)."""

import pytest
from django.test import RequestFactory

from marketplace.core.client_address import client_address


def _request(*, remote: str = "198.51.100.7", forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_x_forwarded_for_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_address(_request(forwarded="203.0.113.9")) == "198.51.100.7"


def test_with_one_trusted_proxy_the_rightmost_forwarded_address_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    request = _request(remote="10.0.0.2", forwarded="1.2.3.4, 203.0.113.9")

    assert client_address(request) == "203.0.113.9"


def test_with_two_trusted_proxies_the_second_address_from_the_right_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 2

    request = _request(remote="10.0.0.3", forwarded="1.2.3.4, 203.0.113.9, 10.0.0.2")

    assert client_address(request) == "203.0.113.9"


def test_fewer_hops_than_trusted_proxies_takes_the_leftmost(settings):
    settings.TRUSTED_PROXY_COUNT = 3

    assert client_address(_request(forwarded="203.0.113.9, 10.0.0.2")) == "203.0.113.9"


@pytest.mark.parametrize("forwarded", ["", " , ", "not-an-address", "203.0.113.9, <script>"])
def test_a_missing_or_malformed_forwarded_address_falls_back_to_the_peer(settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_address(_request(forwarded=forwarded)) == "198.51.100.7"


def test_ipv6_forwarded_address_is_normalised(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_address(_request(forwarded="2001:DB8:0:0::1")) == "2001:db8::1"


def test_drf_axes_and_ratelimit_are_configured_with_the_same_rule(settings):
    from django.conf import settings as live

    assert live.AXES_CLIENT_IP_CALLABLE == "marketplace.core.client_address.client_address"
    assert live.RATELIMIT_IP_META_KEY == "marketplace.core.client_address.client_address"
    assert live.REST_FRAMEWORK["NUM_PROXIES"] == live.TRUSTED_PROXY_COUNT == 0
