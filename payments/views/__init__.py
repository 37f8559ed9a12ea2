"""Browser-facing views of payments, one module per area: ``webhook`` (Stripe's calls),
``checkout`` (the buyer pays), ``payout_account`` (the seller connects how they are paid),
``money`` (the seller's dashboard)."""
