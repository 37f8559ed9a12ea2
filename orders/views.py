"""Browser views for the cart, checkout and orders: parse the request, call a service or a
selector, render. Every order is found through ``order_get_for_company`` (another company's
order is a 404)."""

from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_countries import countries

from listings.selectors import listing_get_visible
from listings.templatetags.listing_tags import format_unit_price
from marketplace.accounts.decorators import email_confirmed_required
from marketplace.accounts.models import Company
from marketplace.core.exceptions import Conflict, DomainError, InvalidTransition, NotFound
from marketplace.core.ids import id_parse
from marketplace.trade.incoterms import INCOTERMS
from marketplace.trade.landed_cost import ImportTaxUsed, LandedCost
from marketplace.trade.landed_cost_snapshot import LandedCostSnapshot, snapshot_from_stored
from marketplace.trade.money import Money
from orders import selectors, services
from orders.conversations.forms import DisputeForm
from orders.enums import OrderStatus
from orders.forms import (
    AddToCartForm,
    CartQuantityForm,
    CheckoutForm,
    ConfirmForm,
    LandedCostEstimateForm,
    ReasonForm,
    SellerGroup,
    ShipForm,
    cart_groups,
)
from orders.models import Order
from orders.selectors import (
    ACTION_ACCEPT,
    ACTION_CANCEL,
    ACTION_CONFIRM,
    ACTION_CONFIRM_DELIVERY,
    ACTION_DISPUTE,
    ACTION_SHIP,
    order_actions_for,
)

ORDERS_PAGE_SIZE = 25


def _active_company(request: HttpRequest) -> Company | None:
    company = getattr(request, "active_company", None)
    return company if company else None


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def company_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in and acting for a company; else a 403 page that says so."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        company = _active_company(request)
        if company is None:
            return render(request, "orders/not_a_buyer.html", {"company": None}, status=403)
        return view(request, company, *args, **kwargs)

    return wrapper


def buyer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in and acting for a company that buys; else a 403 page that says so."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        company = _active_company(request)
        if company is None or not company.buys:
            return render(request, "orders/not_a_buyer.html", {"company": company}, status=403)
        return view(request, company, *args, **kwargs)

    return wrapper


def _problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return getattr(exc, "message", None) or str(exc)


def _cart_groups(company: Company) -> list[SellerGroup]:
    cart = selectors.cart_for_company(company=company)
    return cart_groups(list(cart.lines.all())) if cart is not None else []


# ---------- landed-cost breakdowns ----------


PARTY_LABELS = {"buyer": "Buyer", "seller": "Seller"}
# A duty or tax with no known rate: never shown (or counted) as 0.00.
UNKNOWN = "Unknown"


def _money_text(value: dict[str, str] | None) -> str | None:
    if not value:
        return None
    return str(Money(value["amount"], value["currency"]))


def _percent_text(rate: dict[str, Any] | None) -> str:
    if not rate or Decimal(rate["percent"]).is_zero():
        return ""
    percent = rate["percent"].rstrip("0").rstrip(".") if "." in rate["percent"] else rate["percent"]
    return f"{percent} %"


def _payer_text(charge: dict[str, Any] | None, fallback: str = "") -> str:
    if not charge:
        return PARTY_LABELS.get(fallback, "")
    text = PARTY_LABELS.get(charge.get("payer", ""), "")
    if charge.get("on_invoice") and charge.get("payer") == "seller":
        text += ", on the invoice"
    return text


def _freight_detail(amount: str | None, incoterm: str) -> str:
    if amount is not None:
        return ""
    rule = INCOTERMS.get(incoterm)
    if rule is not None and rule.seller_pays_main_carriage:
        return "Quoted by the seller when confirming; not in the total yet."
    return "Arranged by the buyer's forwarder; not included."


def _rows(
    *,
    incoterm: str,
    goods: str | None,
    freight: str | None,
    insurance: str | None,
    customs_value: str | None,
    basis: str | None,
    duty: str | None,
    import_tax: str | None,
    charges: dict[str, dict[str, Any] | None],
    duty_payer: str,
    duty_rate: str,
    tax_rate: str,
    tax_name: str,
) -> list[dict[str, Any]]:
    rows = [
        {"key": "goods", "label": "Goods", "amount": goods, "payer": "Buyer", "detail": ""},
        {
            "key": "freight",
            "label": "Freight (main carriage)",
            "amount": freight,
            "payer": _payer_text(charges.get("freight")),
            "detail": _freight_detail(freight, incoterm),
        },
        {
            "key": "insurance",
            "label": "Insurance",
            "amount": insurance,
            "payer": _payer_text(charges.get("insurance")),
            "detail": (charges.get("insurance") or {}).get("note", ""),
        },
    ]
    if basis is not None:
        rows.append(
            {
                "key": "customs_value",
                "label": f"Customs value ({basis.upper()})",
                "amount": customs_value,
                "payer": "",
                "detail": "The value duty is charged on.",
                "subtle": True,
            }
        )
    rows += [
        {
            "key": "duty",
            "label": f"Import duty{f' ({duty_rate})' if duty_rate else ''}",
            "amount": UNKNOWN if duty is None else duty,
            "payer": PARTY_LABELS.get(duty_payer, ""),
            "detail": (charges.get("duty") or {}).get("note", ""),
        },
        {
            "key": "import_tax",
            "label": f"{tax_name or 'Import tax'}{f' ({tax_rate})' if tax_rate else ''}",
            "amount": UNKNOWN if import_tax is None else import_tax,
            "payer": PARTY_LABELS.get(duty_payer, ""),
            "detail": (charges.get("import_tax") or {}).get("note", ""),
        },
    ]
    return rows


def _total(total: str | None, flags: list[str]) -> dict[str, Any]:
    """The total as the table shows it: "Unknown" when a duty or tax is unknown, with the sum
    of the costs that are known beside it."""
    if "total_incomplete" in flags:
        return {"total": UNKNOWN, "total_known": total, "total_incomplete": True}
    return {"total": total, "total_known": None, "total_incomplete": False}


def breakdown_from_estimate(estimate: Any) -> dict[str, Any]:
    """A listing estimate (``ListingEstimate``) as rows for ``orders/_landed_cost_table.html``."""
    data = estimate.landed_cost.as_dict()
    duty_rate = (data["duty"].get("rate") or {}) if data["duty"] else {}
    tax_rate = (data["import_tax"].get("rate") or {}) if data["import_tax"] else {}
    return {
        "currency": data["currency"],
        "incoterm": data["incoterm"],
        "destination": data["destination"],
        "destination_name": dict(countries).get(data["destination"], data["destination"]),
        "as_of": data["as_of"],
        "rows": _rows(
            incoterm=data["incoterm"],
            goods=_money_text(data["goods"]["amount"]),
            freight=_money_text(data["freight"]["amount"]),
            insurance=_money_text(data["insurance"]["amount"]),
            customs_value=_money_text(data["customs_value"]),
            basis=data["customs_value_basis"],
            duty=_money_text(data["duty"]["amount"]),
            import_tax=_money_text(data["import_tax"]["amount"]),
            charges=data,
            duty_payer=data["duty"]["payer"],
            duty_rate=_percent_text(duty_rate),
            tax_rate=_percent_text(tax_rate),
            tax_name=tax_rate.get("name", ""),
        ),
        **_total(_money_text(data["total_for_buyer"]), data["flags"]),
        "total_label": "Landed cost for the buyer",
        "borne_by_seller": None
        if Money(data["borne_by_seller"]["amount"], data["currency"]).is_zero()
        else _money_text(data["borne_by_seller"]),
        "flags": data["flags"],
        "sample": "sample_rates" in data["flags"],
        "unavailable": None,
        "unit_price": format_unit_price(estimate.unit_price.amount, estimate.unit_price.currency),
        "quantity": estimate.quantity,
    }


def _money_str(value: Money | None) -> str | None:
    return None if value is None else str(value)


def breakdown_from_snapshot(
    snapshot: LandedCostSnapshot | Mapping[str, Any] | None,
) -> dict[str, Any] | None:
    """An order's frozen landed cost (or the checkout preview of it, or a quote's) as rows for
    the table; the stored JSON is read through ``LandedCostSnapshot``."""
    if snapshot is not None and not isinstance(snapshot, LandedCostSnapshot):
        snapshot = snapshot_from_stored(snapshot)
    if snapshot is None:
        return None
    flags = list(snapshot.flags)
    base = {
        "currency": snapshot.currency,
        "incoterm": snapshot.incoterm,
        "destination": snapshot.destination,
        "destination_name": dict(countries).get(snapshot.destination, snapshot.destination),
        "as_of": "" if snapshot.as_of is None else snapshot.as_of.isoformat(),
        "flags": flags,
        "sample": snapshot.is_sample,
        "borne_by_seller": None,
        "unavailable": None,
    }
    if not snapshot.estimated:
        return {
            **base,
            "rows": [],
            "total": None,
            "unavailable": snapshot.note or "No estimate could be made.",
        }
    parts = snapshot.parts

    def same(pick: Callable[[LandedCost], Any]) -> Any:
        values = {repr(pick(part)) for part in parts}
        return pick(parts[0]) if len(values) == 1 else None

    duty_rate = same(lambda p: None if p.duty.rate is None else str(p.duty.rate.percent))
    tax_rate = same(lambda p: None if p.import_tax.rate is None else str(p.import_tax.rate.percent))
    tax_name = same(
        lambda p: p.import_tax.rate.name if isinstance(p.import_tax.rate, ImportTaxUsed) else None
    )
    basis = same(lambda p: p.customs_value_basis)
    customs_value = None
    if parts and all(p.customs_value is not None for p in parts):
        customs_value = str(
            sum(
                (p.customs_value for p in parts if p.customs_value is not None),
                Money.zero(snapshot.currency),
            )
        )
    charges: dict[str, dict[str, Any] | None]
    if len(parts) == 1:
        charges = parts[0].as_dict()
    elif parts:
        charges = {"freight": parts[0].freight.as_dict(), "insurance": parts[0].insurance.as_dict()}
    else:
        charges = {}
    rows = _rows(
        incoterm=snapshot.incoterm,
        goods=_money_str(snapshot.goods),
        freight=_money_str(snapshot.freight),
        insurance=_money_str(snapshot.insurance),
        customs_value=customs_value,
        basis=basis,
        duty=_money_str(snapshot.duty),
        import_tax=_money_str(snapshot.import_tax),
        charges=charges,
        duty_payer=snapshot.payer,
        duty_rate=_percent_text({"percent": duty_rate}) if duty_rate else "",
        tax_rate=_percent_text({"percent": tax_rate}) if tax_rate else "",
        tax_name=tax_name or "",
    )
    if snapshot.platform_fee is not None:
        rows.append(
            {
                "key": "platform_fee",
                "label": "Platform fee",
                "amount": _money_str(snapshot.platform_fee),
                "payer": "Buyer, on the invoice",
                "detail": "",
            }
        )
    borne = snapshot.borne_by_seller
    return {
        **base,
        "rows": rows,
        **_total(_money_str(snapshot.buyer_total), flags),
        "total_label": "Landed cost for the buyer",
        "borne_by_seller": None if borne is None or borne.is_zero() else str(borne),
    }


# ---------- cart ----------


@buyer_required
@require_GET
def cart(request: HttpRequest, company: Company) -> HttpResponse:
    groups = _cart_groups(company)
    return render(
        request,
        "orders/cart.html",
        {
            "groups": groups,
            "can_checkout": bool(groups) and not any(r.problems for g in groups for r in g.rows),
        },
    )


@buyer_required
@require_POST
def cart_add(request: HttpRequest, company: Company) -> HttpResponse:
    form = AddToCartForm(request.POST)
    if not form.is_valid():
        listing_id = id_parse(request.POST.get("listing", ""))
        messages.error(
            request,
            "Not added to the cart: " + " ".join(str(m) for e in form.errors.values() for m in e),
        )
        if listing_id is not None:
            return redirect("listings:detail", pk=listing_id)
        return redirect("orders:cart")
    listing_id = form.cleaned_data["listing"]
    try:
        line = services.cart_line_set(
            buyer=company,
            actor=request.user,  # type: ignore[arg-type]
            listing_id=listing_id,
            quantity=form.cleaned_data["quantity"],
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, f"Not added to the cart: {_problem(exc)}")
        return redirect("listings:detail", pk=listing_id)
    messages.success(request, f"{line.quantity:,} × “{line.listing.title}” are in your cart.")
    return redirect("orders:cart")


@buyer_required
@require_POST
def cart_update(request: HttpRequest, company: Company, listing_pk: int) -> HttpResponse:
    form = CartQuantityForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            "The quantity was not changed: "
            + " ".join(str(m) for e in form.errors.values() for m in e),
        )
        return redirect("orders:cart")
    try:
        services.cart_line_set(
            buyer=company,
            actor=request.user,  # type: ignore[arg-type]
            listing_id=listing_pk,
            quantity=form.cleaned_data["quantity"],
        )
    except ValidationError as exc:
        messages.error(request, f"The quantity was not changed: {_problem(exc)}")
    else:
        messages.success(request, "The quantity is updated.")
    return redirect("orders:cart")


@buyer_required
@require_POST
def cart_remove(request: HttpRequest, company: Company, listing_pk: int) -> HttpResponse:
    services.cart_line_remove(buyer=company, actor=request.user, listing_id=listing_pk)  # type: ignore[arg-type]
    messages.success(request, "The line is removed from your cart.")
    return redirect("orders:cart")


# ---------- checkout ----------


def _seller_estimate(group: SellerGroup, *, country: str, incoterm: str) -> dict[str, Any] | None:
    """The landed-cost breakdown the order of ``group`` will freeze, for this country and rule."""
    rule = INCOTERMS.get(incoterm)
    lines = group.lines_for_estimate
    if rule is None or not country or not lines or group.subtotal is None:
        return None
    return breakdown_from_snapshot(
        services.order_landed_cost_preview(
            lines=lines, currency=group.currency, destination=country, incoterm=rule
        )
    )


@buyer_required
@email_confirmed_required
@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest, company: Company) -> HttpResponse:
    groups = _cart_groups(company)
    if not groups:
        messages.info(request, "Your cart is empty: add listings before checking out.")
        return redirect("orders:cart")
    status = 200
    if request.method == "POST":
        form = CheckoutForm(request.POST, groups=groups)
        if form.is_valid():
            try:
                orders = services.cart_checkout(
                    buyer=company,
                    actor=request.user,  # type: ignore[arg-type]
                    terms=form.terms(),
                    ship_to=form.ship_to(),
                    buyer_reference=form.cleaned_data["buyer_reference"],
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                numbers = ", ".join(order.number for order in orders)
                messages.success(
                    request,
                    f"{len(orders)} order{'s' if len(orders) != 1 else ''} placed: {numbers}. "
                    "The sellers confirm them next.",
                )
                return redirect(f"{reverse('orders:list')}?role=buyer")
        status = 400
    else:
        form = CheckoutForm(initial=CheckoutForm.initial_for(company, groups), groups=groups)
    country = str(form["country"].value() or "").upper()
    sections = []
    for group in groups:
        incoterm_field, place_field = form.seller_fields(group)
        sections.append(
            {
                "group": group,
                "incoterm": incoterm_field,
                "named_place": place_field,
                "estimate": _seller_estimate(
                    group, country=country, incoterm=str(incoterm_field.value() or "")
                ),
            }
        )
    return render(
        request,
        "orders/checkout.html",
        {
            "form": form,
            "sections": sections,
            "groups": groups,
            "payment_window_days": settings.ORDER_PAYMENT_WINDOW_DAYS,
        },
        status=status,
    )


@buyer_required
@require_GET
def checkout_estimate(request: HttpRequest, company: Company, seller_pk: int) -> HttpResponse:
    """The landed-cost breakdown of one seller's order, for htmx as the country or rule changes."""
    group = next((g for g in _cart_groups(company) if g.seller.pk == seller_pk), None)
    if group is None:
        raise Http404("No lines of this seller in your cart.")
    country = request.GET.get("country", "").strip().upper()
    incoterm = request.GET.get(f"incoterm_{seller_pk}", "").strip().upper()
    return render(
        request,
        "orders/_checkout_estimate.html",
        {
            "group": group,
            "estimate": _seller_estimate(group, country=country, incoterm=incoterm),
        },
    )


# ---------- orders ----------


@company_required
@require_GET
def order_list(request: HttpRequest, company: Company) -> HttpResponse:
    role = request.GET.get("role") or ""
    if role not in selectors.ROLES:
        role = selectors.ROLE_BUYER if company.buys or not company.sells else selectors.ROLE_SELLER
    status = request.GET.get("status") or ""
    if status not in OrderStatus.values:
        status = ""
    orders = selectors.order_list_for_company(company=company, role=role, status=status or None)
    page = Paginator(orders, ORDERS_PAGE_SIZE).get_page(request.GET.get("page"))
    for order in page.object_list:
        total = str(Money.from_minor_units(order.total_minor, order.currency))
        order.total_display = total  # type: ignore[attr-defined]
    return render(
        request,
        "orders/order_list.html",
        {
            "company": company,
            "role": role,
            "status": status,
            "status_label": OrderStatus(status).label if status else "",
            "statuses": OrderStatus.choices,
            "page": page,
            "orders": page.object_list,
            "roles": [
                {"value": selectors.ROLE_BUYER, "label": "Orders you placed"},
                {"value": selectors.ROLE_SELLER, "label": "Orders you received"},
            ],
        },
    )


def _order_for(company: Company, pk: int) -> Order:
    try:
        return selectors.order_get_for_company(company=company, order_id=pk)
    except NotFound:
        raise Http404("No such order among your company's.") from None


def _render_detail(
    request: HttpRequest,
    company: Company,
    order: Order,
    *,
    forms: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    actions = order_actions_for(order=order, company=company)
    given = forms or {}
    action_forms = {
        ACTION_CONFIRM: given.get(ACTION_CONFIRM) or ConfirmForm(order=order),
        ACTION_SHIP: given.get(ACTION_SHIP) or ShipForm(),
        ACTION_CANCEL: given.get(ACTION_CANCEL) or ReasonForm(prefix="cancel"),
        ACTION_DISPUTE: given.get(ACTION_DISPUTE) or DisputeForm(prefix="dispute"),
    }
    is_seller = company.pk == order.seller_id
    lines = list(order.lines.all())
    for line in lines:
        line_total_text = str(Money.from_minor_units(line.line_total_minor, order.currency))
        line.total_display = line_total_text  # type: ignore[attr-defined]

    def money(minor: int) -> str:
        return str(Money.from_minor_units(minor, order.currency))

    totals = [
        ("Goods", money(order.goods_minor)),
        ("Freight", money(order.freight_minor)),
        ("Insurance", money(order.insurance_minor)),
        (f"Platform fee ({order.platform_fee_bps / 100:g} %)", money(order.platform_fee_minor)),
    ]
    return render(
        request,
        "orders/order_detail.html",
        {
            "order": order,
            "company": company,
            "is_seller": is_seller,
            "other": order.buyer if is_seller else order.seller,
            "actions": actions,
            "forms": action_forms,
            "breakdown": breakdown_from_snapshot(order.landed_cost_snapshot),
            "events": list(order.events.all()),
            "lines": lines,
            "totals": totals,
            "total": money(order.total_minor),
            "duty": money(order.duty_minor)
            if selectors.order_estimate_known(order=order, part="duty")
            else UNKNOWN,
            "import_tax": money(order.import_tax_minor)
            if selectors.order_estimate_known(order=order, part="import_tax")
            else UNKNOWN,
            "needs_freight": INCOTERMS[order.incoterm].seller_pays_main_carriage,
            "shipment": getattr(order, "shipment", None),
            "dispute": getattr(order, "dispute", None),
        },
        status=status,
    )


@company_required
@require_GET
def order_detail(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    return _render_detail(request, company, _order_for(company, pk))


def _order_action(
    action: str,
    form_class: Callable[..., Any] | None,
    perform: Callable[..., Order],
    done: str,
) -> Callable[..., HttpResponse]:
    """A POST view for one transition: a bad form re-renders the detail page with its errors
    (400); a refused transition says why (409); success goes back to the detail page."""

    @company_required
    @require_POST
    def view(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
        order = _order_for(company, pk)
        form = form_class(request.POST, order=order) if form_class is not None else None
        if form is not None and not form.is_valid():
            return _render_detail(request, company, order, forms={action: form}, status=400)
        data = form.cleaned_data if form is not None else {}
        try:
            perform(order=order, company=company, actor=request.user, data=data)
        except ValidationError as exc:
            if form is None:
                messages.error(request, _problem(exc))
                return redirect("orders:detail", pk=order.pk)
            for key, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(key if key in form.fields else None, error)
            return _render_detail(
                request, company, _order_for(company, pk), forms={action: form}, status=400
            )
        except (InvalidTransition, Conflict) as exc:
            messages.error(request, f"Not possible now: {_problem(exc)}")
            return _render_detail(request, company, _order_for(company, pk), status=409)
        except PermissionDenied as exc:
            messages.error(request, _problem(exc))
            return _render_detail(request, company, _order_for(company, pk), status=403)
        messages.success(request, done)
        return redirect("orders:detail", pk=order.pk)

    return view


def _confirm_form(data: Any, *, order: Order) -> ConfirmForm:
    return ConfirmForm(data, order=order)


def _ship_form(data: Any, *, order: Order) -> ShipForm:
    return ShipForm(data)


def _cancel_form(data: Any, *, order: Order) -> ReasonForm:
    return ReasonForm(data, prefix="cancel")


def _dispute_form(data: Any, *, order: Order, files: Any = None) -> DisputeForm:
    return DisputeForm(data, files, prefix="dispute")


order_confirm = _order_action(
    ACTION_CONFIRM,
    _confirm_form,
    lambda *, order, company, actor, data: services.order_confirm(
        order=order, actor=actor, freight=data.get("freight"), insurance=data.get("insurance")
    ),
    "The order is confirmed; the buyer can pay it now.",
)
order_ship = _order_action(
    ACTION_SHIP,
    _ship_form,
    lambda *, order, company, actor, data: services.order_ship(
        order=order,
        actor=actor,
        carrier=data["carrier"],
        tracking_number=data["tracking_number"],
        ship_date=data.get("ship_date"),
    ),
    "The order is shipped; the buyer can follow it with the tracking number.",
)
order_cancel = _order_action(
    ACTION_CANCEL,
    _cancel_form,
    lambda *, order, company, actor, data: services.order_cancel(
        order=order, actor=actor, company=company, reason=data["reason"]
    ),
    "The order is cancelled and its stock released.",
)
order_confirm_delivery = _order_action(
    ACTION_CONFIRM_DELIVERY,
    None,
    lambda *, order, company, actor, data: services.order_confirm_delivery(
        order=order, actor=actor
    ),
    "Delivery confirmed: inspect the goods, then accept them or open a dispute.",
)
order_accept = _order_action(
    ACTION_ACCEPT,
    None,
    lambda *, order, company, actor, data: services.order_accept(order=order, actor=actor),
    "The goods are accepted and the order is completed.",
)


def order_dispute(request: HttpRequest, pk: int) -> HttpResponse:
    """The dispute form posts evidence files too (multipart); a refused file is a field
    error of ``evidence``."""
    files = request.FILES

    def with_files(data: Any, *, order: Order) -> DisputeForm:
        return _dispute_form(data, order=order, files=files)

    view = _order_action(
        ACTION_DISPUTE,
        with_files,
        lambda *, order, company, actor, data: _dispute_open(order, actor, data),
        "The dispute is open: write to the seller and add evidence in its conversation.",
    )
    return view(request, pk)


def _dispute_open(order: Order, actor: Any, data: dict[str, Any]) -> Order:
    try:
        return services.order_dispute_open(
            order=order, actor=actor, reason=data["reason"], evidence=data.get("evidence") or []
        )
    except DomainError as exc:  # a refused evidence file
        raise ValidationError({"evidence": [exc.message]}) from None


# ---------- landed-cost estimate on the listing page ----------


@require_GET
def landed_cost_estimate(request: HttpRequest, pk: int) -> HttpResponse:
    """The estimate widget of a listing, computed for the quantity, country and Incoterm in
    the query; htmx swaps it in place, without JavaScript it is a page of its own."""
    company = _active_company(request)
    user = request.user if request.user.is_authenticated else None
    try:
        listing = listing_get_visible(listing_id=pk, user=user, company=company)
    except NotFound:
        raise Http404("No such listing.") from None
    if request.GET.get("destination"):
        form = LandedCostEstimateForm(request.GET, listing=listing, auto_id="lc_%s")
    else:  # no country yet (an anonymous visitor): the form, filled in, without errors
        form = LandedCostEstimateForm(
            initial={
                "quantity": request.GET.get("quantity") or listing.moq,
                "incoterm": request.GET.get("incoterm")
                or ("FOB" if "FOB" in listing.incoterms else listing.incoterms[0]),
            },
            listing=listing,
            auto_id="lc_%s",
        )
    breakdown = None
    if form.is_bound and form.is_valid() and form.estimate is not None:
        breakdown = breakdown_from_estimate(form.estimate)
    context = {
        "listing": listing,
        "estimate_form": form,
        "estimate_breakdown": breakdown,
        "estimate_computed": True,
    }
    template = (
        "orders/_landed_cost_estimate.html" if _is_htmx(request) else "orders/landed_cost_page.html"
    )
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
