"""Browser views for trade documents: the parties' downloads, the order page's documents
block (polled by htmx), and the public verification pages."""

from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from marketplace.accounts.models import Company, User
from marketplace.core.api.throttling import ClientAddressRateThrottle
from marketplace.core.exceptions import NotFound
from marketplace.core.storage import private_file_response
from orders.documents import selectors
from orders.documents.enums import DocumentStatus
from orders.documents.forms import DocumentCheckForm, VerificationCodeForm
from orders.documents.models import TradeDocument
from orders.documents.templatetags.document_tags import order_documents_context
from orders.models import Order


class DocumentCheckThrottle(ClientAddressRateThrottle):
    """The page's uploads count against the same per-address budget as the API's
    (``document_verify`` in ``DEFAULT_THROTTLE_RATES``)."""

    scope = "document_verify"


def document_file_response(document: TradeDocument) -> FileResponse:
    """The document's PDF as an attachment named after its number (private, not cached)."""
    return private_file_response(
        document.file, filename=f"{document.number}.pdf", content_type="application/pdf"
    )


def _party(request: HttpRequest) -> tuple[User | None, Company | None]:
    """The signed-in user and the company they act for (``None`` when they have none)."""
    user = request.user if isinstance(request.user, User) else None
    company = getattr(request, "active_company", None)
    return user, company if isinstance(company, Company) else None


@require_GET
def document_download(request: HttpRequest, pk: int) -> HttpResponse | FileResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    user, company = _party(request)
    try:
        document = selectors.document_get_for_download(user=user, company=company, document_id=pk)
    except NotFound:
        raise Http404 from None
    if document.status != DocumentStatus.READY:
        return render(request, "documents/not_ready.html", {"document": document}, status=409)
    return document_file_response(document)


@require_GET
def order_documents(request: HttpRequest, order_pk: int) -> HttpResponse:
    """The documents block alone, for htmx to swap in while documents are being prepared."""
    if not request.user.is_authenticated:
        raise Http404
    user, company = _party(request)
    try:
        selectors.document_list_for_order(company=company, order_id=order_pk, user=user)
    except NotFound:
        raise Http404 from None
    order = Order.objects.get(pk=order_pk)
    return render(
        request,
        "documents/_order_documents.html",
        order_documents_context(request=request, order=order),
    )


@require_GET
def verify_lookup(request: HttpRequest) -> HttpResponse:
    """A box for the code printed on a document; a known code opens its verification page."""
    form = VerificationCodeForm(request.GET if "code" in request.GET else None)
    status = 200
    if form.is_valid():
        code = form.cleaned_data["code"]
        try:
            selectors.document_get_by_code(code=code)
        except NotFound:
            form.add_error(
                "code",
                "No document has this code. Check it against the code printed on the document.",
            )
            status = 404
        else:
            return redirect("documents:verify_detail", code=code)
    elif form.is_bound:
        status = 400
    return render(request, "documents/verify_lookup.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def verify_detail(request: HttpRequest, code: str) -> HttpResponse:
    """What the document with this code is, and whether an uploaded copy is that exact file."""
    try:
        document = selectors.document_get_by_code(code=code)
    except NotFound:
        raise Http404 from None
    result = None
    status = 200
    if request.method == "POST":
        form = DocumentCheckForm(request.POST, request.FILES)
        if not DocumentCheckThrottle().allow_request(request, None):  # type: ignore[arg-type]
            form = DocumentCheckForm()
            result = "throttled"
            status = 429
        elif form.is_valid():
            digest = selectors.file_sha256(form.cleaned_data["file"])
            result = "genuine" if digest == document.sha256 else "not_genuine"
            form = DocumentCheckForm()
        else:
            status = 400
    else:
        form = DocumentCheckForm()
    return render(
        request,
        "documents/verify_detail.html",
        {
            "document": document,
            "issuer": document.order.seller,
            "standing": "current" if document.is_current else "superseded",
            "form": form,
            "result": result,
        },
        status=status,
    )
