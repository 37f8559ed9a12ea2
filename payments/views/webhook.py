"""Browser-facing endpoints of payments: the Stripe webhook (and, in the sandbox, the
offline onboarding page)."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from payments.webhooks import WebhookRejected, webhook_receive


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """``POST /webhooks/stripe/``: 400 (nothing stored) unless signed by Stripe; 200 once the
    event is stored and applied (or was already); 500 if applying failed (Stripe retries)."""
    try:
        outcome = webhook_receive(
            payload=request.body,
            signature_header=request.headers.get("Stripe-Signature", ""),
        )
    except WebhookRejected as exc:
        return JsonResponse({"error": exc.code, "detail": exc.message}, status=400)
    return JsonResponse(
        {
            "received": outcome.event.event_id,
            "status": outcome.event.status,
            "replayed": outcome.replayed,
        }
    )
