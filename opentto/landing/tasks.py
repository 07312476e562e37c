from celery import shared_task


@shared_task(name="landing.flag_royalties")
def flag_royalties() -> int:
    from .services import royalty_flag_overdue

    return royalty_flag_overdue()
