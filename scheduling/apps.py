from django.apps import AppConfig
from django.core import checks


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from scheduling.caches import watch_planning_data
        from scheduling.checks import check_settings

        checks.register(check_settings)
        watch_planning_data()
