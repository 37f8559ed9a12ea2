"""Pages of quotes: send (for an RFQ or in a conversation), read with all versions, revise,
withdraw, decline, compare an RFQ's quotes side by side, and accept into an order. Parse the
request, call a service or a selector, render; refusals come back as the API's statuses."""

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from listings.enums import ListingStatus
from listings.models import Listing
from marketplace.accounts.models import Company
from marketplace.core.exceptions import Conflict, InvalidTransition, NotFound
from marketplace.core.ids import id_parse
from marketplace.trade.incoterms import INCOTERMS
from marketplace.trade.money import Money
from orders.conversations.models import Conversation
from orders.quotes import selectors, services
from orders.quotes.forms import AcceptForm, QuoteLineFormSet, QuoteTermsForm, ReasonForm
from orders.quotes.models import Quote
from orders.rfqs.models import RFQ
from orders.rfqs.selectors import rfq_get_for_company, seller_may_quote
from orders.services import ShipTo
from orders.views import UNKNOWN, breakdown_from_snapshot, company_required


def _problem(exc: Exception) -> str:
    return getattr(exc, "message", None) or str(exc)


def _rfq_for(company: Company, pk: int) -> RFQ:
    try:
        return rfq_get_for_company(company=company, rfq_id=pk)
    except NotFound:
        raise Http404("No such request among those you may see.") from None


def _quote_for(company: Company, pk: int) -> Quote:
    try:
        return selectors.quote_get_for_company(company=company, quote_id=pk)
    except NotFound:
        raise Http404("No such quote among your company's.") from None


def _money(minor: int | None, currency: str) -> str | None:
    return None if minor is None else str(Money.from_minor_units(minor, currency))


def _snapshot_money(snapshot: dict[str, Any], key: str) -> str:
    value = snapshot.get(key)
    if not value:
        return UNKNOWN if key in ("duty", "import_tax") else "—"
    return str(Money(value["amount"], value["currency"]))


def _seller_listings(company: Company) -> Any:
    return Listing.objects.filter(seller=company, status=ListingStatus.PUBLISHED).order_by("title")


def _listing_data(listings: Any) -> dict[str, dict[str, str]]:
    """What quotes.js fills a line with when a listing is chosen (read from a JSON block)."""
    return {
        str(listing.pk): {
            "description": listing.title,
            "hs_code": str(listing.hs_code_id),
            "origin_country": str(listing.origin_country),
            "unit": listing.unit,
            "unit_net_weight_kg": str(listing.unit_net_weight_kg),
            "units_per_carton": str(listing.units_per_carton),
            "carton_gross_weight_kg": str(listing.carton_gross_weight_kg),
            "carton_length_cm": str(listing.carton_length_cm),
            "carton_width_cm": str(listing.carton_width_cm),
            "carton_height_cm": str(listing.carton_height_cm),
            "stock": str(listing.stock),
        }
        for listing in listings
    }


def _put_errors(exc: ValidationError, terms: QuoteTermsForm, lines: Any) -> None:
    """The service's field errors onto the forms' fields (``lines[1].unit_price`` on line 2)."""
    for key, errors in exc.message_dict.items():
        for error in errors:
            if key.startswith("lines[") and "]." in key:
                index = int(key[len("lines[") : key.index("]")])
                name = key.split("].", 1)[1]
                form = lines.forms[index] if index < len(lines.forms) else None
                if form is not None and name in form.fields:
                    form.add_error(name, error)
                else:
                    terms.add_error(None, f"Line {index + 1}: {error}")
            elif key in terms.fields:
                terms.add_error(key, error)
            else:
                terms.add_error(None, error)


def _quote_form_page(
    request: HttpRequest,
    company: Company,
    *,
    rfq: RFQ | None,
    conversation: Conversation | None,
    revising: Quote | None,
) -> HttpResponse:
    listings = _seller_listings(company)
    allowed = rfq.incoterms if rfq is not None else None
    status = 200
    if request.method == "POST":
        terms = QuoteTermsForm(request.POST, allowed_incoterms=allowed)
        lines = QuoteLineFormSet(request.POST, prefix="lines", listings=listings)  # type: ignore[call-arg]
        if terms.is_valid() and lines.is_valid():
            data = terms.cleaned_data
            kwargs: dict[str, Any] = {
                "actor": request.user,
                "seller": company,
                "lines": [form.as_input() for form in lines.forms if form.cleaned_data],
                "currency": data["currency"],
                "incoterm": data["incoterm"],
                "named_place": data["named_place"],
                "freight": data.get("freight"),
                "insurance": data.get("insurance"),
                "lead_time_days": data["lead_time_days"],
                "valid_until": data["valid_until"],
                "notes": data.get("notes") or "",
            }
            try:
                if revising is not None:
                    quote = services.quote_revise(quote=revising, **kwargs)
                    messages.success(request, f"Version {quote.version} of {quote.number} sent.")
                else:
                    quote = services.quote_submit(rfq=rfq, conversation=conversation, **kwargs)
                    messages.success(request, f"Quote {quote.number} sent to the buyer.")
                return redirect("quotes:detail", pk=quote.pk)
            except ValidationError as exc:
                _put_errors(exc, terms, lines)
            except (Conflict, InvalidTransition) as exc:
                terms.add_error(None, _problem(exc))
                status = 409
        if status == 200:
            status = 400
    else:
        initial: dict[str, Any] = {
            "valid_until": timezone.localdate() + timedelta(days=30),
            "currency": (rfq.currency if rfq is not None and rfq.currency else "USD"),
        }
        line_initial: list[dict[str, Any]] = [{}]
        if rfq is not None:
            initial["incoterm"] = rfq.incoterms[0]
            line_initial = [
                {
                    "description": rfq.title,
                    "hs_code": rfq.hs_code,
                    "quantity": rfq.quantity,
                    "unit": rfq.unit,
                }
            ]
        if conversation is not None and conversation.listing_id is not None:
            listing = listings.filter(pk=conversation.listing_id).first()
            if listing is not None:
                line_initial = [
                    {
                        "listing": listing.pk,
                        **{
                            k: v
                            for k, v in _listing_data([listing])[str(listing.pk)].items()
                            if k != "stock"
                        },
                    }
                ]
        if revising is not None:
            initial = {
                "currency": revising.currency,
                "incoterm": revising.incoterm,
                "named_place": revising.named_place,
                "freight": Money.from_minor_units(revising.freight_minor, revising.currency).amount
                if revising.freight_minor is not None
                else None,
                "insurance": Money.from_minor_units(
                    revising.insurance_minor, revising.currency
                ).amount
                if revising.insurance_minor is not None
                else None,
                "lead_time_days": revising.lead_time_days,
                "valid_until": revising.valid_until,
                "notes": revising.notes,
            }
            line_initial = [
                {
                    "listing": line.listing_id,
                    "from_stock": line.from_stock,
                    "description": line.description,
                    "hs_code": line.hs_code,
                    "origin_country": str(line.origin_country),
                    "unit": line.unit,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "unit_net_weight_kg": line.unit_net_weight_kg,
                    "units_per_carton": line.units_per_carton,
                    "carton_gross_weight_kg": line.carton_gross_weight_kg,
                    "carton_length_cm": line.carton_length_cm,
                    "carton_width_cm": line.carton_width_cm,
                    "carton_height_cm": line.carton_height_cm,
                }
                for line in revising.lines.all()
            ]
        terms = QuoteTermsForm(initial=initial, allowed_incoterms=allowed)
        lines = QuoteLineFormSet(prefix="lines", listings=listings, initial=line_initial)  # type: ignore[call-arg]
    return render(
        request,
        "quotes/quote_form.html",
        {
            "company": company,
            "rfq": rfq,
            "conversation": conversation,
            "revising": revising,
            "terms": terms,
            "lines": lines,
            "listing_data": _listing_data(listings),
            "incoterm_rules": {
                code: {"freight": rule.seller_pays_main_carriage, "insurance": rule.seller_insures}
                for code, rule in INCOTERMS.items()
            },
        },
        status=status,
    )


def _seller_check(company: Company) -> None:
    if not seller_may_quote(company):
        raise PermissionDenied("Only a verified company that sells may quote.")


@company_required
@require_http_methods(["GET", "POST"])
def quote_new_for_rfq(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    _seller_check(company)
    rfq = _rfq_for(company, pk)
    if rfq.buyer_id == company.pk:
        raise Http404("You cannot quote on your own request.")
    return _quote_form_page(request, company, rfq=rfq, conversation=None, revising=None)


@company_required
@require_http_methods(["GET", "POST"])
def quote_new_for_conversation(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    _seller_check(company)
    conversation_id = id_parse(pk)
    conversation = (
        Conversation.objects.filter(pk=conversation_id, seller=company).first()
        if conversation_id is not None
        else None
    )
    if conversation is None:
        raise Http404("No such conversation in which you are the seller.")
    return _quote_form_page(request, company, rfq=None, conversation=conversation, revising=None)


@company_required
@require_http_methods(["GET", "POST"])
def quote_revise(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    quote = _quote_for(company, pk)
    if quote.seller_id != company.pk:
        raise Http404("No such quote of your company's.")
    if selectors.ACTION_REVISE not in selectors.quote_actions_for(quote=quote, company=company):
        messages.error(
            request, f"Version {quote.version} of {quote.number} can no longer be revised."
        )
        return redirect("quotes:detail", pk=quote.pk)
    return _quote_form_page(
        request,
        company,
        rfq=quote.rfq,
        conversation=quote.conversation,
        revising=quote,
    )


def _version_view(quote: Quote) -> dict[str, Any]:
    snapshot = quote.landed_cost or {}
    return {
        "quote": quote,
        "lines": [
            {"line": line, "total": _money(line.line_total_minor, quote.currency)}
            for line in quote.lines.all()
        ],
        "goods": _money(quote.goods_minor, quote.currency),
        "freight": _money(quote.freight_minor, quote.currency),
        "insurance": _money(quote.insurance_minor, quote.currency),
        "breakdown": breakdown_from_snapshot(snapshot),
        "landed_total": _snapshot_money(snapshot, "landed_total"),
        "platform_fee": _snapshot_money(snapshot, "platform_fee"),
        "events": list(quote.events.all()),
    }


@company_required
@require_http_methods(["GET"])
def quote_detail(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    quote = _quote_for(company, pk)
    versions = selectors.quote_versions(quote=quote)
    return render(
        request,
        "quotes/quote_detail.html",
        {
            "company": company,
            "quote": quote,
            "current": _version_view(quote),
            "others": [_version_view(v) for v in versions if v.pk != quote.pk],
            "latest": versions[0] if versions else quote,
            "is_seller": company.pk == quote.seller_id,
            "actions": selectors.quote_actions_for(quote=quote, company=company),
            "reason_form": ReasonForm(),
        },
    )


def _decide(request: HttpRequest, company: Company, pk: int, *, action: str) -> HttpResponse:
    quote = _quote_for(company, pk)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        if action == "withdraw":
            if quote.seller_id != company.pk:
                raise Http404
            services.quote_withdraw(quote=quote, actor=request.user, seller=company, reason=reason)  # type: ignore[arg-type]
            messages.success(request, f"Quote {quote.number} withdrawn.")
        else:
            if quote.buyer_id != company.pk:
                raise Http404
            services.quote_decline(quote=quote, actor=request.user, buyer=company, reason=reason)  # type: ignore[arg-type]
            messages.success(request, f"Quote {quote.number} declined.")
    except (Conflict, InvalidTransition) as exc:
        messages.error(request, _problem(exc))
        response = redirect("quotes:detail", pk=quote.pk)
        return response
    except NotFound:
        raise Http404 from None
    return redirect("quotes:detail", pk=quote.pk)


@company_required
@require_POST
def quote_withdraw(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    return _decide(request, company, pk, action="withdraw")


@company_required
@require_POST
def quote_decline(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    return _decide(request, company, pk, action="decline")


@company_required
@require_http_methods(["GET", "POST"])
def quote_accept(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    quote = _quote_for(company, pk)
    if quote.buyer_id != company.pk:
        raise Http404("No such quote to your company.")
    status = 200
    if request.method == "POST":
        form = AcceptForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                order = services.quote_accept(
                    quote=quote,
                    actor=request.user,  # type: ignore[arg-type]
                    buyer=company,
                    ship_to=ShipTo(
                        name=data["name"],
                        line1=data["line1"],
                        line2=data["line2"],
                        city=data["city"],
                        region=data["region"],
                        postal_code=data["postal_code"],
                        country=data["country"],
                    ),
                    buyer_reference=data["buyer_reference"],
                )
                messages.success(
                    request,
                    f"Order {order.number} placed from quote {quote.number}. "
                    "The seller confirms it, then you pay.",
                )
                return redirect("orders:detail", pk=order.pk)
            except ValidationError as exc:
                for key, errors in exc.message_dict.items():
                    field = key.removeprefix("ship_to.")
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            except (Conflict, InvalidTransition) as exc:
                form.add_error(None, _problem(exc))
                status = 409
        if status == 200:
            status = 400
    else:
        form = AcceptForm(
            initial={
                "name": company.display_name,
                "line1": company.address_line1,
                "line2": company.address_line2,
                "city": company.city,
                "postal_code": company.postal_code,
                "country": str(quote.destination_country),
            }
        )
    return render(
        request,
        "quotes/quote_accept.html",
        {
            "company": company,
            "quote": quote,
            "current": _version_view(quote),
            "form": form,
            "live": selectors.quote_is_live(quote),
        },
        status=status,
    )


@company_required
@require_http_methods(["GET"])
def rfq_quotes_compare(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    rfq = _rfq_for(company, pk)
    if rfq.buyer_id != company.pk:
        raise Http404("Only the buyer compares the quotes of a request.")
    quotes = list(selectors.quote_list_for_rfq(company=company, rfq=rfq))
    cheapest = selectors.quote_cheapest_landed(quotes)
    columns = []
    for quote in quotes:
        view = _version_view(quote)
        snapshot = quote.landed_cost or {}
        view.update(
            {
                "duty": _snapshot_money(snapshot, "duty"),
                "import_tax": _snapshot_money(snapshot, "import_tax"),
                "cheapest": quote.pk in cheapest,
                "live": selectors.quote_is_live(quote),
                "actions": selectors.quote_actions_for(quote=quote, company=company),
            }
        )
        columns.append(view)
    return render(
        request,
        "quotes/compare.html",
        {"company": company, "rfq": rfq, "columns": columns},
    )
