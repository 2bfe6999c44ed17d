from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from common.optouts import CustomerOptOut


class Survey(models.Model):
    """Questions a dispatcher edits in admin, asked after the visits of the service types it
    is enabled for. Answers copy what they answered (Answer), so editing a survey later
    changes no past response."""

    name = models.CharField(max_length=100, unique=True)
    enabled = models.BooleanField(default=True)
    service_types = models.ManyToManyField(
        "scheduling.ServiceType",
        blank=True,
        related_name="+",
        help_text="Visits of these service types are surveyed when they are completed.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    class Kind(models.TextChoices):
        RATING = "rating", "Rating (1-5)"
        SCORE = "score", "Recommend score (0-10)"
        YES_NO = "yes_no", "Yes or no"
        CHOICE = "choice", "One choice of several"
        TEXT = "text", "Free text"

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.RATING)
    text = models.CharField(max_length=300)
    required = models.BooleanField(default=True)
    choices = models.TextField(blank=True, help_text="For one choice of several: one per line.")

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]

    def clean(self) -> None:
        if self.kind == self.Kind.CHOICE and len(self.choice_list) < 2:
            raise ValidationError({"choices": "Give at least two choices, one per line."})


class Invitation(models.Model):
    """The survey mail of one completed visit, one row per visit: the unique constraint lets
    only one of two racing senders write it (and its mail). `reminded_at` is set by the one
    reminder, by a conditional update, so it too goes once."""

    appointment = models.OneToOneField(
        "scheduling.Appointment", on_delete=models.CASCADE, related_name="+"
    )
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField()
    reminded_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Survey of appointment {self.appointment_id}"


class Response(models.Model):
    """A customer's feedback on one completed visit (one per visit, by constraint). `rating`
    and `score` copy the first rating and score answers for the results."""

    appointment = models.OneToOneField(
        "scheduling.Appointment", on_delete=models.PROTECT, related_name="survey_response"
    )
    survey = models.ForeignKey(Survey, on_delete=models.SET_NULL, null=True, related_name="+")
    survey_name = models.CharField(max_length=100)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    submitted_at = models.DateTimeField()
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        permissions = [
            ("view_results", "Can view survey results"),
            ("export_responses", "Can export survey responses"),
        ]
        indexes = [models.Index(fields=["submitted_at"])]

    def __str__(self) -> str:
        return f"Feedback on appointment {self.appointment_id}"


class Answer(models.Model):
    """One answer, with a copy of the question as it was asked."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(
        Question, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=8, choices=Question.Kind.choices)
    text = models.CharField(max_length=300)
    number = models.SmallIntegerField(null=True, blank=True)
    value = models.TextField(blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.text}: {self.display}"

    @property
    def display(self) -> str:
        if self.number is not None:
            return str(self.number)
        return self.value


class OptOut(CustomerOptOut):
    """A customer who unsubscribed from survey mails (the link in each of them)."""

    class Meta:
        verbose_name = "survey opt-out"
