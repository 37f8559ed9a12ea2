"""Browser pages of RFQs: post one, the buyer's list and the sellers' board, the detail with
the buyer's close and cancel. Every RFQ is found through ``rfq_get_for_company`` (an RFQ the
company may not see is a 404)."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from listings.selectors import category_tree
from marketplace.accounts.models import Company
from marketplace.core.exceptions import Conflict, InvalidTransition, NotFound
from marketplace.core.storage import private_file_response
from marketplace.trade.incoterms import INCOTERMS
from orders.rfqs import selectors, services
from orders.rfqs.forms import BoardFilterForm, ReasonForm, RFQForm
from orders.rfqs.models import RFQ, RFQStatus
from orders.views import _problem, buyer_required, company_required

RFQS_PAGE_SIZE = 20
VIEW_MINE = "mine"
VIEW_BOARD = "board"


def _rfq_for(company: Company, pk: object) -> RFQ:
    try:
        rfq = selectors.rfq_get_for_company(company=company, rfq_id=pk)
    except NotFound:
        raise Http404("No such request for quotation.") from None
    return selectors.rfq_with_details(RFQ.objects.filter(pk=rfq.pk)).get()


def _default_view(company: Company, asked: str | None) -> str:
    if asked == VIEW_BOARD and company.sells:
        return VIEW_BOARD
    if asked == VIEW_MINE and company.buys:
        return VIEW_MINE
    return VIEW_MINE if company.buys else VIEW_BOARD


@company_required
@require_GET
def rfq_list(request: HttpRequest, company: Company) -> HttpResponse:
    """The buyer's own RFQs ("My RFQs") or the seller's RFQ board, by ``?view=``."""
    view = _default_view(company, request.GET.get("view"))
    context: dict[str, Any] = {"company": company, "view": view}
    if view == VIEW_MINE:
        status = request.GET.get("status") or ""
        if status not in RFQStatus.values:
            status = ""
        rfqs = selectors.rfq_list_for_buyer(company=company, status=status or None)
        context.update(statuses=RFQStatus.choices, status=status)
        query = f"view={VIEW_MINE}&status={status}"
    else:
        tree = category_tree()
        form = BoardFilterForm(request.GET or None, categories=tree)
        data = form.cleaned_data if form.is_valid() else {}
        rfqs = selectors.rfq_board_for_seller(
            company=company,
            category_id=data.get("category") or None,
            destination_country=data.get("destination_country") or None,
        )
        context.update(
            filter_form=form,
            may_quote=selectors.seller_may_quote(company),
            filtered=bool(data.get("category") or data.get("destination_country")),
        )
        query = (
            f"view={VIEW_BOARD}&category={data.get('category') or ''}"
            f"&destination_country={data.get('destination_country') or ''}"
        )
    page = Paginator(rfqs, RFQS_PAGE_SIZE).get_page(request.GET.get("page"))
    context.update(page=page, rfqs=list(page.object_list), query=query)
    return render(request, "rfqs/rfq_list.html", context)


def _render_form(request: HttpRequest, company: Company, form: RFQForm, status: int = 200):
    return render(request, "rfqs/rfq_form.html", {"company": company, "form": form}, status=status)


def _new_form(company: Company, *args: Any, **kwargs: Any) -> RFQForm:
    return RFQForm(
        *args,
        categories=category_tree(),
        sellers=selectors.invitable_sellers(buyer=company),
        **kwargs,
    )


@buyer_required
@require_http_methods(["GET", "POST"])
def rfq_create(request: HttpRequest, company: Company) -> HttpResponse:
    """ "Post a request for quotation": the form, then the service; errors inline (400)."""
    if request.method == "GET":
        initial = {
            "destination_country": str(company.country),
            "currency": company.default_currency,
        }
        return _render_form(request, company, _new_form(company, initial=initial))
    form = _new_form(company, request.POST, request.FILES)
    if not form.is_valid():
        return _render_form(request, company, form, status=400)
    data = form.cleaned_data
    try:
        rfq = services.rfq_create(
            actor=request.user,  # type: ignore[arg-type]
            buyer=company,
            title=data["title"],
            description=data["description"],
            category=data["category"],
            hs_code=data["hs_code"],
            quantity=data["quantity"],
            unit=data["unit"],
            target_unit_price=data["target_unit_price"],
            currency=data["currency"],
            destination_country=data["destination_country"],
            named_place=data["named_place"],
            incoterms=data["incoterms"],
            needed_by=data["needed_by"],
            closes_at=services.closes_at_from_date(data["closes_on"]),
            visibility=data["visibility"],
            invited_sellers=list(data["invited_sellers"]),
            attachments=data["attachments"],
        )
    except ValidationError as exc:
        form.add_service_errors(exc)
        return _render_form(request, company, form, status=400)
    messages.success(request, "Your request for quotation is posted. Sellers can quote on it now.")
    return redirect("rfqs:detail", pk=rfq.pk)


def _render_detail(
    request: HttpRequest,
    company: Company,
    rfq: RFQ,
    *,
    cancel_form: ReasonForm | None = None,
    status: int = 200,
) -> HttpResponse:
    is_buyer = rfq.buyer_id == company.pk
    return render(
        request,
        "rfqs/rfq_detail.html",
        {
            "rfq": rfq,
            "company": company,
            "is_buyer": is_buyer,
            "actions": selectors.rfq_actions_for(rfq=rfq, company=company),
            "quote_count": selectors.rfq_quote_count(rfq=rfq) if is_buyer else None,
            "attachments": list(rfq.attachments.all()),
            "invitations": list(rfq.invitations.all()) if is_buyer else [],
            "events": list(rfq.events.all()) if is_buyer else [],
            "cancel_form": cancel_form or ReasonForm(prefix="cancel"),
            "message_url": f"/messages/new/?rfq={rfq.pk}",
            "incoterm_labels": [
                (code, INCOTERMS[code].name) for code in rfq.incoterms if code in INCOTERMS
            ],
        },
        status=status,
    )


@company_required
@require_GET
def rfq_detail(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    return _render_detail(request, company, _rfq_for(company, pk))


def _act(request: HttpRequest, company: Company, rfq: RFQ, perform, done: str) -> HttpResponse:
    try:
        perform()
    except (InvalidTransition, Conflict) as exc:
        messages.error(request, f"Not possible now: {_problem(exc)}")
        return _render_detail(request, company, _rfq_for(company, rfq.pk), status=409)
    except PermissionDenied as exc:
        messages.error(request, _problem(exc))
        return _render_detail(request, company, _rfq_for(company, rfq.pk), status=403)
    messages.success(request, done)
    return redirect("rfqs:detail", pk=rfq.pk)


@company_required
@require_POST
def rfq_close(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    rfq = _rfq_for(company, pk)
    return _act(
        request,
        company,
        rfq,
        lambda: services.rfq_close(rfq=rfq, actor=request.user, company=company),  # type: ignore[arg-type]
        "The RFQ is closed: sellers can no longer quote. The quotes you received stay here.",
    )


@company_required
@require_POST
def rfq_cancel(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    rfq = _rfq_for(company, pk)
    form = ReasonForm(request.POST, prefix="cancel")
    if not form.is_valid():
        return _render_detail(request, company, rfq, cancel_form=form, status=400)
    return _act(
        request,
        company,
        rfq,
        lambda: services.rfq_cancel(
            rfq=rfq,
            actor=request.user,  # type: ignore[arg-type]
            company=company,
            reason=form.cleaned_data["reason"],
        ),
        "The RFQ is cancelled.",
    )


@company_required
@require_GET
def rfq_attachment_download(
    request: HttpRequest, company: Company, pk: int, attachment_pk: int
) -> HttpResponse:
    """A file of an RFQ, only for a company that may see the RFQ."""
    try:
        attachment = selectors.rfq_attachment_get_for_company(
            company=company, rfq_id=pk, attachment_id=attachment_pk
        )
    except NotFound:
        raise Http404("No such file.") from None
    response = private_file_response(
        attachment.file, filename=attachment.original_name, content_type=attachment.content_type
    )
    return response  # type: ignore[return-value]  # a FileResponse, streamed
