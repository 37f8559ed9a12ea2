"""Pages of conversations: the inbox, a conversation (with htmx polling of new messages),
"Contact supplier" from a listing or a storefront, reports and attachment downloads.

Every conversation is found through ``conversation_get_for_company``: another company's is
a 404. Writes go through ``orders.conversations.services``."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from listings.enums import ListingStatus
from listings.models import Listing
from listings.selectors import listing_get_visible
from marketplace.accounts.models import Company
from marketplace.accounts.selectors import EMAIL_UNCONFIRMED_MESSAGE
from marketplace.core.exceptions import DomainError, Forbidden, NotFound
from marketplace.core.ids import id_parse
from marketplace.core.storage import private_file_response
from orders.conversations import selectors, services
from orders.conversations.forms import ContactForm, MessageForm, ReportForm
from orders.conversations.models import Conversation, ConversationTopic

INBOX_PAGE_SIZE = 25
POLL_SECONDS = 4


def _company_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        company = getattr(request, "active_company", None)
        if not company:
            return render(request, "orders/not_a_buyer.html", {"company": None}, status=403)
        return view(request, company, *args, **kwargs)

    return wrapper


def _conversation_for(company: Company, pk: object) -> Conversation:
    try:
        return selectors.conversation_get_for_company(company=company, conversation_id=pk)
    except NotFound:
        raise Http404("No such conversation among your company's.") from None


def _other(conversation: Conversation, company: Company) -> Company:
    return conversation.seller if conversation.buyer_id == company.pk else conversation.buyer


def _refusal(
    request: HttpRequest, exc: Exception, form: Any, *, file_field: str = "attachments"
) -> HttpResponse | None:
    """Put a service's refusal on the form; a 403 page for an unconfirmed email."""
    if isinstance(exc, Forbidden) and getattr(exc, "code", "") == "email_unconfirmed":
        return render(
            request,
            "accounts/email_unconfirmed.html",
            {"message": EMAIL_UNCONFIRMED_MESSAGE, "next": request.get_full_path()},
            status=403,
        )
    if isinstance(exc, ValidationError):
        for key, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(key if key in form.fields else None, error)
    elif isinstance(exc, DomainError):
        field = file_field if exc.field == "attachments" else exc.field
        form.add_error(field if field in form.fields else None, exc.message)
    elif isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc))
    return None


# ---------- inbox ----------


@_company_required
@require_GET
def inbox(request: HttpRequest, company: Company) -> HttpResponse:
    topic = request.GET.get("topic") or ""
    if topic not in ConversationTopic.values:
        topic = ""
    conversations = selectors.conversation_list_for_company(company=company, topic=topic or None)
    page = Paginator(conversations, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {"conversation": conversation, "other": _other(conversation, company)}
        for conversation in page.object_list
    ]
    return render(
        request,
        "conversations/inbox.html",
        {
            "company": company,
            "page": page,
            "rows": rows,
            "topic": topic,
            "topics": ConversationTopic.choices,
        },
    )


# ---------- one conversation ----------


def _thread_context(
    request: HttpRequest, company: Company, conversation: Conversation, **extra: Any
) -> dict[str, Any]:
    thread = list(selectors.message_list(conversation=conversation))
    return {
        "company": company,
        "conversation": conversation,
        "other": _other(conversation, company),
        "thread": thread,
        "last_id": thread[-1].pk if thread else 0,
        "poll_seconds": POLL_SECONDS,
        "form": extra.pop("form", None) or MessageForm(),
        "report_form": extra.pop("report_form", None) or ReportForm(),
        **extra,
    }


@_company_required
@require_GET
def conversation_detail(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    conversation = _conversation_for(company, pk)
    if conversation.unread:  # type: ignore[attr-defined]
        services.conversation_read(conversation=conversation, company=company)
    response = render(
        request,
        "conversations/detail.html",
        _thread_context(request, company, conversation),
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


@_company_required
@require_GET
def conversation_poll(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    """The messages after ``?after=<id>`` (htmx appends them), read at once since the page
    is open, and the header's count swapped out of band."""
    conversation = _conversation_for(company, pk)
    after = id_parse(request.GET.get("after")) or 0
    new = list(selectors.message_list(conversation=conversation, after=after))
    if new and conversation.unread:  # type: ignore[attr-defined]
        services.conversation_read(conversation=conversation, company=company)
    response = render(
        request,
        "conversations/_poll.html",
        {
            "company": company,
            "conversation": conversation,
            "new": new,
            "last_id": new[-1].pk if new else after,
            "poll_seconds": POLL_SECONDS,
        },
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


@_company_required
@require_POST
def conversation_send(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    conversation = _conversation_for(company, pk)
    form = MessageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.conversation_message_post(
                conversation=conversation,
                company=company,
                actor=request.user,  # type: ignore[arg-type]
                body=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"],
            )
        except (ValidationError, DomainError, PermissionDenied) as exc:
            page = _refusal(request, exc, form)
            if page is not None:
                return page
        else:
            return redirect("conversations:detail", pk=conversation.pk)
    return render(
        request,
        "conversations/detail.html",
        _thread_context(request, company, conversation, form=form),
        status=400,
    )


@_company_required
@require_POST
def conversation_report(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    conversation = _conversation_for(company, pk)
    form = ReportForm(request.POST)
    if form.is_valid():
        try:
            services.conversation_report(
                conversation=conversation,
                company=company,
                actor=request.user,  # type: ignore[arg-type]
                reason=form.cleaned_data["reason"],
            )
        except (ValidationError, DomainError, PermissionDenied) as exc:
            page = _refusal(request, exc, form)
            if page is not None:
                return page
        else:
            messages.success(request, "Thank you: staff will look at this conversation.")
            return redirect("conversations:detail", pk=conversation.pk)
    return render(
        request,
        "conversations/detail.html",
        _thread_context(request, company, conversation, report_form=form, report_open=True),
        status=400,
    )


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """A message's file, only for the two companies and staff."""
    company = getattr(request, "active_company", None) or None
    try:
        attachment = selectors.attachment_get_for(
            attachment_id=pk,
            user=request.user,  # type: ignore[arg-type]
            company=company,
        )
    except NotFound:
        raise Http404("No such attachment.") from None
    return private_file_response(
        attachment.file, filename=attachment.original_name, content_type=attachment.content_type
    )


# ---------- contact supplier ----------


def _contact(
    request: HttpRequest,
    company: Company,
    *,
    seller: Company,
    listing: Listing | None,
    listings: list[Listing] | None,
) -> HttpResponse:
    if seller.pk == company.pk:
        return render(
            request,
            "conversations/contact.html",
            {"seller": seller, "listing": listing, "own": True},
            status=400,
        )
    if request.method == "POST":
        form = ContactForm(request.POST, request.FILES, listings=listings)
        if form.is_valid():
            listing_id = form.cleaned_data.get("listing") or (listing.pk if listing else None)
            try:
                started = services.conversation_start(
                    company=company,
                    actor=request.user,  # type: ignore[arg-type]
                    listing_id=listing_id,
                    message=form.cleaned_data["body"],
                    attachments=form.cleaned_data["attachments"],
                )
            except NotFound:
                raise Http404("No such listing.") from None
            except (ValidationError, DomainError, PermissionDenied) as exc:
                page = _refusal(request, exc, form)
                if page is not None:
                    return page
            else:
                name = seller.display_name
                messages.success(
                    request, f"Your message was sent to {name}{'' if name.endswith('.') else '.'}"
                )
                return redirect("conversations:detail", pk=started.conversation.pk)
        status = 400
    else:
        form = ContactForm(listings=listings)
        status = 200
    return render(
        request,
        "conversations/contact.html",
        {"seller": seller, "listing": listing, "form": form, "company": company},
        status=status,
    )


@_company_required
@require_http_methods(["GET", "POST"])
def contact_listing(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    try:
        listing = listing_get_visible(listing_id=pk, user=None, company=company)
    except NotFound:
        raise Http404("No such listing.") from None
    if listing.status != ListingStatus.PUBLISHED and listing.seller_id != company.pk:
        raise Http404("No such listing.")
    return _contact(request, company, seller=listing.seller, listing=listing, listings=None)


@_company_required
@require_http_methods(["GET", "POST"])
def contact_seller(request: HttpRequest, company: Company, slug: str) -> HttpResponse:
    seller = get_object_or_404(Company, slug=slug, sells=True)
    listings = list(
        Listing.objects.filter(seller=seller, status=ListingStatus.PUBLISHED).order_by("title")[
            :200
        ]
    )
    if not listings:
        raise Http404("This supplier has no published products to ask about.")
    chosen = id_parse(request.GET.get("listing"))
    listing = next((item for item in listings if item.pk == chosen), None)
    if listing is not None and request.method == "GET":
        return redirect("conversations:contact_listing", pk=listing.pk)
    return _contact(request, company, seller=seller, listing=None, listings=listings)
