from django.apps import AppConfig


class SurveysConfig(AppConfig):
    """Feedback on completed appointments: the survey mail, the form, the results."""

    name = "surveys"
    verbose_name = "Surveys"

    def ready(self) -> None:
        from scheduling.signals import appointment_transitioned
        from surveys import services

        appointment_transitioned.connect(services.transitioned, dispatch_uid="surveys-ask")
