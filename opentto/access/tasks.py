from celery import shared_task


@shared_task(name="access.purge_expired_personal_data")
def purge_expired_personal_data() -> int:
    from .privacy import personal_data_purge_expired

    return personal_data_purge_expired()
