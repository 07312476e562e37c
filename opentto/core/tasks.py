from celery import shared_task


@shared_task(name="core.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Forget the single-use keys of writes older than the retention period (ADR 0011)."""
    from .idempotency import idempotency_keys_purge

    return idempotency_keys_purge()
