"""A buyer's dispute of a delivered order and the platform's resolution of it."""

from collections.abc import Sequence

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from marketplace.accounts.models import User
from marketplace.core.exceptions import Conflict, DomainError
from orders.conversations.services import dispute_conversation_open, dispute_evidence_inspect
from orders.enums import DisputeStatus, OrderStatus
from orders.models import Dispute, Order
from orders.services.common import (
    _REASON_MAX,
    _clean_text,
    _Errors,
    _require_party,
)
from orders.services.lifecycle import _complete, _lock_allowing, _transition


def order_dispute_open(
    *, order: Order, actor: User, reason: str, evidence: Sequence[UploadedFile] = ()
) -> Order:
    """delivered → disputed (buyer), with a reason, within the inspection window.

    The dispute's conversation opens with the reason and the evidence files (photos, PDFs;
    checked as message attachments) as its first message; both parties write there."""
    _require_party(order=order, actor=actor, party="buyer")
    dispute_evidence_inspect(attachments=evidence)
    with transaction.atomic(durable=True):
        locked = _lock_allowing(order, OrderStatus.DISPUTED)
        now = timezone.now()
        if locked.inspection_ends_at is not None and now > locked.inspection_ends_at:
            raise Conflict(
                "The inspection window has ended; a dispute can no longer be opened.",
                code="inspection_window_closed",
            )
        errors = _Errors()
        text = _clean_text(
            errors, "reason", reason, max_length=_REASON_MAX, required=True, label="reason"
        )
        errors.raise_if_any()
        disputed = _transition(order=locked, target=OrderStatus.DISPUTED, actor=actor, note=text)
        dispute = Dispute.objects.create(order=disputed, opened_by=actor, reason=text)
        dispute_conversation_open(dispute=dispute, actor=actor, reason=text, attachments=evidence)
        return disputed


def order_dispute_resolve(
    *, order: Order, actor: User | None, outcome: str, note: str = ""
) -> Order:
    """Close the dispute of a disputed order (payments calls this when an admin resolves it).

    ``outcome`` is a ``DisputeStatus``: released and split complete the order (recording
    ``order.completed``, from which the seller's part is paid); refunded ends it refunded.
    Joins the caller's transaction."""
    if outcome not in (DisputeStatus.RELEASED, DisputeStatus.REFUNDED, DisputeStatus.SPLIT):
        raise DomainError(f"Unknown dispute outcome {outcome!r}.", code="dispute_outcome")
    with transaction.atomic():
        target = (
            OrderStatus.REFUNDED if outcome == DisputeStatus.REFUNDED else OrderStatus.COMPLETED
        )
        locked = _lock_allowing(order, target, only_from=frozenset({OrderStatus.DISPUTED}))
        now = timezone.now()
        dispute = Dispute.objects.select_for_update().get(order=locked)
        dispute.status = outcome
        dispute.resolution_note = note
        dispute.resolved_at = now
        dispute.resolved_by = actor
        dispute.save(
            update_fields=["status", "resolution_note", "resolved_at", "resolved_by", "updated_at"]
        )
        label = DisputeStatus(outcome).label
        text = f"Dispute resolved: {label}" + (f". {note}" if note else "")
        if target == OrderStatus.COMPLETED:
            return _complete(order=locked, actor=actor, note=text, now=now)
        return _transition(order=locked, target=OrderStatus.REFUNDED, actor=actor, note=text)
