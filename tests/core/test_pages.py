"""The UI shell: base layout, home page, error pages and the static files they load."""

import json
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django import forms
from django.contrib import messages
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import Context, Template, loader
from django.test import Client
from django.urls import include, path, resolve

from marketplace.accounts.enums import MembershipRole, VerificationStatus
from marketplace.accounts.middleware import ACTIVE_COMPANY_SESSION_KEY
from marketplace.urls import urlpatterns as site_urlpatterns
from tests.factories import CompanyFactory, MembershipFactory, UserFactory

MARKETPLACE_DESCRIPTION = "Open Trade Marketplace is an electronic world trade platform"


class _Element:
    def __init__(self, tag: str, attrs: dict[str, str | None]) -> None:
        self.tag = tag
        self.attrs = attrs
        self.text = ""


class _PageParser(HTMLParser):
    """Collects every element with its attributes and its own direct text."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[_Element] = []
        self._open: list[_Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = _Element(tag, dict(attrs))
        self.elements.append(element)
        if tag not in {"input", "img", "link", "meta", "br", "hr"}:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index].tag == tag:
                del self._open[index:]
                break

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.text += data


def parse_html(html: str) -> list[_Element]:
    parser = _PageParser()
    parser.feed(html)
    return parser.elements


def parse(response: HttpResponse) -> list[_Element]:
    return parse_html(response.content.decode())


def find_all(elements: list[_Element], tag: str, **attrs: str) -> list[_Element]:
    return [
        e
        for e in elements
        if e.tag == tag
        and all(e.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())
    ]


def text_of(element: _Element) -> str:
    return " ".join(element.text.split())


# The URL names base.html is written against, as the accounts area defines them. Tests that
# check the user menu use this URL configuration, so they do not depend on how far the
# accounts pages have got; the tests on the real URL configuration check that no link is dead.
def _ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def _page_with_messages(request: HttpRequest) -> HttpResponse:
    messages.error(request, "The quantity is below the minimum order quantity.")
    messages.success(request, "Listing saved.")
    return render(request, "home.html")


def _forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def _bad_request(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("malformed")


def _server_error(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


_accounts_patterns = [
    path("login/", _ok, name="login"),
    path("logout/", _ok, name="logout"),
    path("signup/", _ok, name="signup"),
    path("company/", _ok, name="company_profile"),
    path("company/verification/", _ok, name="company_verification"),
    path("company/switch/", _ok, name="company_switch"),
]


class AccountsContractURLConf:
    """A URL configuration (any object with ``urlpatterns`` will do) for these tests."""

    urlpatterns = [
        *(p for p in site_urlpatterns if getattr(p, "namespace", None) != "accounts"),
        path("accounts/", include((_accounts_patterns, "accounts"))),
        path("test/messages/", _page_with_messages),
        path("test/forbidden/", _forbidden),
        path("test/bad-request/", _bad_request),
        path("test/server-error/", _server_error),
        path("test/csrf-protected/", _ok),
    ]


@pytest.fixture
def accounts_urls(settings):
    settings.ROOT_URLCONF = AccountsContractURLConf


def sign_in(client: Client, *, user, active_company=None) -> None:
    client.force_login(user)
    if active_company is not None:
        session = client.session
        session[ACTIVE_COMPANY_SESSION_KEY] = active_company.pk
        session.save()


# ---------- home page, real URL configuration ----------


@pytest.mark.django_db
def test_home_page_describes_the_marketplace_to_an_anonymous_visitor(client):
    response = client.get("/")

    assert response.status_code == 200
    assert [t.name for t in response.templates][:2] == ["home.html", "base.html"]
    content = response.content.decode()
    assert MARKETPLACE_DESCRIPTION in content
    assert "<title>Cross-border B2B trade, fair and simple · Open Trade Marketplace</title>" in (
        content
    )
    assert "For sellers (exporters)" in content
    assert "For buyers (importers)" in content
    elements = parse(response)
    assert [a.attrs["href"] for a in find_all(elements, "a", class_="skip-link")] == ["#main"]
    assert len(find_all(elements, "main", id="main")) == 1
    assert [text_of(a) for a in find_all(elements, "a", href="/api/docs/")] == [
        "API documentation",
        "API documentation",
    ]


@pytest.mark.django_db
def test_every_link_on_the_home_page_resolves(client):
    user = UserFactory(is_staff=True)
    company = CompanyFactory(legal_name="Linked Exports Ltd")
    MembershipFactory(user=user, company=company)
    sign_in(client, user=user, active_company=company)

    for response in (Client().get("/"), client.get("/")):
        hrefs = {e.attrs["href"] for e in parse(response) if e.tag == "a"}
        internal = {h for h in hrefs if h.startswith("/")}

        assert "/" in internal
        for href in internal:
            resolve(urlsplit(href).path)  # raises Resolver404 for a dead link


@pytest.mark.django_db
def test_home_page_links_sign_in_exactly_when_the_accounts_url_exists(client):
    from django.urls import NoReverseMatch, reverse

    try:
        login_url = reverse("accounts:login")
    except NoReverseMatch:
        login_url = None

    response = client.get("/")

    sign_in_links = [a for a in parse(response) if a.tag == "a" and text_of(a) == "Sign in"]
    if login_url is None:
        assert sign_in_links == []
    else:
        assert {a.attrs["href"] for a in sign_in_links} == {login_url}


# ---------- user menu, against the accounts URL names ----------


@pytest.mark.django_db
def test_signed_out_visitor_is_offered_sign_in_and_a_company_account(client, accounts_urls):
    response = client.get("/")

    assert response.status_code == 200
    elements = parse(response)
    assert [a.attrs["href"] for a in elements if a.tag == "a" and text_of(a) == "Sign in"] == [
        "/accounts/login/",
        "/accounts/login/",
    ]
    assert [
        a.attrs["href"]
        for a in elements
        if a.tag == "a" and text_of(a) == "Create a company account"
    ] == ["/accounts/signup/", "/accounts/signup/"]
    assert find_all(elements, "form", action="/accounts/logout/") == []
    assert find_all(elements, "select", name="company_id") == []


@pytest.mark.django_db
def test_signed_in_user_with_two_companies_gets_a_switcher_with_the_active_one_selected(
    client, accounts_urls
):
    user = UserFactory(email="trader@example.com")
    first = CompanyFactory(legal_name="Alpha Exports GmbH", verification_status="verified")
    second = CompanyFactory(legal_name="Beta Imports Ltd", trading_name="Beta Imports")
    MembershipFactory(user=user, company=first, role=MembershipRole.OWNER)
    MembershipFactory(user=user, company=second, role=MembershipRole.STAFF)
    sign_in(client, user=user, active_company=second)

    response = client.get("/")

    assert response.status_code == 200
    elements = parse(response)
    (form,) = find_all(elements, "form", action="/accounts/company/switch/")
    assert form.attrs["method"] == "post"
    names = [e.attrs["name"] for e in elements if e.tag in {"input", "select"}]
    assert "company_id" in names
    options = [
        (o.attrs["value"], text_of(o), "selected" in o.attrs) for o in elements if o.tag == "option"
    ]
    assert options == [
        (str(first.pk), "Alpha Exports GmbH (Owner)", False),
        (str(second.pk), "Beta Imports (Staff)", True),
    ]
    (label,) = find_all(elements, "label", for_="company-switcher-select")
    assert text_of(label) == "Switch company"
    assert [text_of(s) for s in find_all(elements, "span", class_="user-email")] == [
        "Signed in as trader@example.com"
    ]
    (active,) = find_all(elements, "span", class_="active-company")
    assert text_of(active) == "Acting for Beta Imports Unverified"
    (logout,) = find_all(elements, "form", action="/accounts/logout/")
    assert logout.attrs["method"] == "post"
    assert "Create a company account" not in response.content.decode()


@pytest.mark.django_db
def test_signed_in_user_with_one_company_gets_no_switcher(client, accounts_urls):
    user = UserFactory()
    company = CompanyFactory(legal_name="Solo Trading SA", verified=True)
    MembershipFactory(user=user, company=company)
    sign_in(client, user=user)

    response = client.get("/")

    elements = parse(response)
    assert find_all(elements, "form", action="/accounts/company/switch/") == []
    (active,) = find_all(elements, "span", class_="active-company")
    assert text_of(active) == "Acting for Solo Trading SA Verified"
    (badge,) = [e for e in elements if e.tag == "span" and text_of(e) == "Verified"][:1]
    assert badge.attrs["class"] == "badge badge-success"


@pytest.mark.django_db
def test_home_tells_an_unverified_company_to_submit_for_verification(client, accounts_urls):
    user = UserFactory()
    company = CompanyFactory(legal_name="New Exporter Ltd", seller=True)
    MembershipFactory(user=user, company=company)
    sign_in(client, user=user, active_company=company)

    response = client.get("/")

    elements = parse(response)
    (heading,) = find_all(elements, "h2", id="next-title")
    assert text_of(heading) == "Next for New Exporter Ltd"
    links = [a for a in elements if a.tag == "a" and text_of(a) == "Submit for verification"]
    assert [a.attrs["href"] for a in links] == ["/accounts/company/verification/"]
    assert "your listings can be published once your company is verified" in text_of(
        find_all(elements, "div", class_="card next-step stack")[0]
    )


@pytest.mark.django_db
def test_home_shows_a_rejected_company_the_reason_and_a_way_to_resubmit(client, accounts_urls):
    user = UserFactory()
    company = CompanyFactory(
        legal_name="Rejected Traders Ltd",
        verification_status=VerificationStatus.REJECTED,
        rejection_reason="The registration number does not match the certificate.",
    )
    MembershipFactory(user=user, company=company)
    sign_in(client, user=user, active_company=company)

    response = client.get("/")

    content = " ".join(response.content.decode().split())
    assert "Reason given: The registration number does not match the certificate." in content
    elements = parse(response)
    links = [a for a in elements if a.tag == "a" and text_of(a) == "Review and resubmit"]
    assert [a.attrs["href"] for a in links] == ["/accounts/company/verification/"]


@pytest.mark.django_db
def test_signed_in_home_page_query_count_does_not_grow_with_memberships(
    client, accounts_urls, django_assert_max_num_queries
):
    user = UserFactory()
    for index in range(6):
        MembershipFactory(user=user, company=CompanyFactory(legal_name=f"Company {index} AG"))
    sign_in(client, user=user)

    # session, user, memberships, company; and the header's unread-message count (one sum)
    with django_assert_max_num_queries(5):
        response = client.get("/")

    assert len([e for e in parse(response) if e.tag == "option"]) == 6


# ---------- messages, CSRF for htmx ----------


@pytest.mark.django_db
def test_messages_render_as_alerts_with_errors_announced_assertively(client, accounts_urls):
    response = client.get("/test/messages/")

    alerts = [
        (e.attrs["class"], e.attrs["role"], text_of(e))
        for e in parse(response)
        if e.tag == "div" and e.attrs.get("class", "").startswith("alert ")
    ]
    assert alerts == [
        ("alert alert-error", "alert", "The quantity is below the minimum order quantity."),
        ("alert alert-success", "status", "Listing saved."),
    ]


@pytest.mark.django_db
def test_htmx_requests_send_a_csrf_token_that_django_accepts(accounts_urls):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/")
    (body,) = find_all(parse(page), "body")
    headers = json.loads(body.attrs["hx-headers"])

    accepted = client.post("/test/csrf-protected/", headers={"X-CSRFToken": headers["X-CSRFToken"]})
    refused = client.post("/test/csrf-protected/")

    assert list(headers) == ["X-CSRFToken"]
    assert accepted.status_code == 200
    assert refused.status_code == 403


# ---------- static files ----------


@pytest.mark.django_db
def test_every_static_file_the_layout_references_exists_on_disk(client):
    response = client.get("/")

    referenced = {
        e.attrs.get("src") or e.attrs.get("href")
        for e in parse(response)
        if e.tag in {"script", "link", "img"}
    }
    static_paths = sorted(
        r.removeprefix("/static/") for r in referenced if r.startswith("/static/")
    )

    assert static_paths == [
        "css/app.css",
        "img/favicon.svg",
        "img/logo.svg",
        "js/app.js",
        "vendor/htmx/htmx.min.js",
    ]
    for static_path in static_paths:
        assert finders.find(static_path) is not None, static_path
    assert not [r for r in referenced if r.startswith(("http:", "https:", "//"))]


def test_vendored_htmx_is_version_2_with_its_licence_beside_it():
    htmx = finders.find("vendor/htmx/htmx.min.js")
    licence = finders.find("vendor/htmx/LICENSE")

    with open(htmx, encoding="utf-8") as handle:
        source = handle.read()
    assert 'version:"2.0.11"' in source
    with open(licence, encoding="utf-8") as handle:
        assert handle.readline().strip() == "Zero-Clause BSD"


def test_stylesheet_defines_the_shared_component_classes():
    with open(finders.find("css/app.css"), encoding="utf-8") as handle:
        css = handle.read()

    for selector in (
        ".page-header",
        ".card",
        ".form-grid",
        ".field",
        ".field-error",
        ".help",
        ".btn",
        ".btn-primary",
        ".btn-secondary",
        ".btn-danger",
        ".badge",
        ".badge-success",
        ".badge-warning",
        ".badge-danger",
        ".badge-muted",
        ".table",
        ".table-wrap",
        ".empty-state",
        ".alert",
        ".alert-error",
        ".alert-success",
        ".alert-info",
        ".alert-warning",
        ".stack",
        ".cluster",
        ".grid",
        ".visually-hidden",
        ".sandbox-banner",
        ".progress",
        ".htmx-indicator",
        "ul.errorlist",
        '[aria-invalid="true"]',
        ":focus-visible",
        "@media print",
    ):
        assert selector in css, selector


# ---------- error pages ----------


@pytest.mark.django_db
def test_unknown_address_renders_the_404_page_in_the_layout(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert [t.name for t in response.templates][:2] == ["404.html", "base.html"]
    (heading,) = find_all(parse(response), "h1")
    assert text_of(heading) == "Page not found"


@pytest.mark.django_db
def test_permission_denied_renders_the_403_page(client, accounts_urls):
    response = client.get("/test/forbidden/")

    assert response.status_code == 403
    assert [t.name for t in response.templates][:2] == ["403.html", "base.html"]
    (heading,) = find_all(parse(response), "h1")
    assert text_of(heading) == "You are not allowed to do this"


@pytest.mark.django_db
def test_suspicious_request_renders_the_400_page(client, accounts_urls):
    response = client.get("/test/bad-request/")

    assert response.status_code == 400
    assert [t.name for t in response.templates][:2] == ["400.html", "base.html"]
    (heading,) = find_all(parse(response), "h1")
    assert text_of(heading) == "The request could not be understood"


def test_500_page_renders_with_an_empty_context_and_no_database():
    # No django_db mark: pytest-django makes any database access here raise.
    html = loader.get_template("500.html").render()

    assert '<link rel="stylesheet" href="/static/css/app.css">' in html
    assert "<h1>Something went wrong on our side</h1>" in html
    assert "{%" not in html


@pytest.mark.django_db
def test_unhandled_exception_renders_the_standalone_500_page(client, accounts_urls):
    client.raise_request_exception = False

    response = client.get("/test/server-error/")

    assert response.status_code == 500
    assert [t.name for t in response.templates] == ["500.html"]
    (heading,) = find_all(parse(response), "h1")
    assert text_of(heading) == "Something went wrong on our side"


# ---------- the shared form field include ----------


class _ListingDraftForm(forms.Form):
    title = forms.CharField(help_text="What a buyer searches for.")
    notes = forms.CharField(required=False)


def test_field_include_links_label_help_and_inline_errors_to_the_input():
    form = _ListingDraftForm(data={"title": "", "notes": ""})
    template = Template(
        '{% include "includes/field.html" with field=form.title %}'
        '{% include "includes/field.html" with field=form.notes %}'
    )

    elements = parse_html(template.render(Context({"form": form})))

    (title_input,) = find_all(elements, "input", name="title")
    assert title_input.attrs["aria-invalid"] == "true"
    assert title_input.attrs["aria-describedby"] == "id_title_helptext id_title_error"
    (help_text,) = find_all(elements, "p", id="id_title_helptext")
    assert text_of(help_text) == "What a buyer searches for."
    (errors,) = find_all(elements, "ul", id="id_title_error")
    assert (errors.attrs["class"], text_of(errors)) == ("errorlist", "This field is required.")
    labels = [(e.attrs["for"], text_of(e)) for e in elements if e.tag == "label"]
    assert labels == [("id_title", "Title"), ("id_notes", "Notes")]
    (notes_input,) = find_all(elements, "input", name="notes")
    assert "aria-invalid" not in notes_input.attrs
