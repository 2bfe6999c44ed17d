from django.contrib import admin

from surveys import results
from surveys.models import Answer, Invitation, OptOut, Question, Response, Survey


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 1
    fields = ["position", "kind", "text", "required", "choices"]


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["name", "enabled"]
    list_filter = ["enabled"]
    filter_horizontal = ["service_types"]
    inlines = [QuestionInline]


class AnswerInline(admin.TabularInline):
    model = Answer
    fields = ["position", "kind", "text", "display"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    """Responses as customers sent them: read-only, filtered the ways dispatchers look."""

    list_display = ["appointment", "technician", "service_type", "rating", "score", "submitted_at"]
    list_filter = [
        ("appointment__service_type", admin.RelatedOnlyFieldListFilter),
        ("appointment__resource", admin.RelatedOnlyFieldListFilter),
        ("appointment__service_account__territory", admin.RelatedOnlyFieldListFilter),
        "submitted_at",
    ]
    search_fields = [
        "customer__email",
        "customer__first_name",
        "customer__last_name",
        "appointment__service_account__name",
        "answers__value",
    ]
    date_hierarchy = "submitted_at"
    list_select_related = [
        "appointment__service_type",
        "appointment__resource__user",
        "appointment__service_account",
    ]
    readonly_fields = ["appointment", "survey_name", "customer", "submitted_at", "rating", "score"]
    exclude = ["survey"]
    inlines = [AnswerInline]
    change_list_template = "admin/surveys/response/change_list.html"

    @admin.display(description="Technician", ordering="appointment__resource")
    def technician(self, obj: Response):
        return obj.appointment.resource

    @admin.display(description="Service type", ordering="appointment__service_type")
    def service_type(self, obj: Response):
        return obj.appointment.service_type

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        return results.admin_urls(self) + super().get_urls()


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["appointment", "survey", "sent_at", "reminded_at"]
    list_select_related = ["survey"]
    readonly_fields = ["appointment", "survey", "sent_at", "reminded_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(OptOut)
class OptOutAdmin(admin.ModelAdmin):
    list_display = ["customer", "created_at"]
    raw_id_fields = ["customer"]
