from celery import shared_task

from surveys import services


@shared_task
def send_reminders() -> int:
    """Beat, hourly: the one reminder of each unanswered survey that is due."""
    return services.remind_due()
