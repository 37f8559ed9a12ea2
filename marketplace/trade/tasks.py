from urllib.error import URLError

from celery import shared_task

from marketplace.trade.services import fx_rates_refresh


@shared_task(
    autoretry_for=(URLError, TimeoutError, ConnectionError),
    retry_backoff=60,
    retry_backoff_max=3600,
    max_retries=5,
)
def fx_rates_refresh_task() -> dict | None:
    """Import FX rates from settings.FX_RATES_SOURCE; does nothing when it is not set."""
    result = fx_rates_refresh()
    if result is None:
        return None
    return {"rows_read": result.rows_read, "created": result.created, "updated": result.updated}
