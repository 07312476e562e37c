from celery import shared_task


@shared_task(name="landing.flag_royalties")
def flag_royalties() -> int:
    from .services import royalty_flag_overdue

    return royalty_flag_overdue()


@shared_task(name="landing.remind_registrations")
def remind_registrations() -> int:
    from .services import registration_remind

    return registration_remind()
