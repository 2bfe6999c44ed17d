from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm
from django.db import transaction
from django.db.models import Q
from django.template.defaultfilters import linebreaksbr
from django.utils import timezone
from django.utils.html import format_html

from portal import outbox, services, tasks
from portal.models import Invitation, OutboxMessage, User
from scheduling.admin import ReadOnlyAdmin, ZonedAdmin, local_column, site_zone
from scheduling.models import zone_for
from scheduling.notifications import base_url_of

admin.site.site_header = "Dispatch"
admin.site.site_title = "Dispatch"
admin.site.index_title = "Field service"


class UserCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class ClosedFilter(admin.SimpleListFilter):
    """Customers who closed their account (portal.closing): kept, without their personal data."""

    title = "account closed"
    parameter_name = "closed"

    def lookups(self, request, model_admin):
        return [("yes", "Closed"), ("no", "Open")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(closed_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(closed_at__isnull=True)
        return queryset


@admin.register(User)
class UserAdmin(ZonedAdmin, BaseUserAdmin):
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = [
        "email", "first_name", "last_name", "service_account", "is_staff", "is_active", "closed",
    ]  # fmt: skip
    list_filter = ["is_staff", "is_active", ClosedFilter, "service_account__territory"]
    list_select_related = ["service_account"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["first_name", "last_name", "phone", "time_zone"]}),
        ("Customer", {"fields": ["service_account"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined", "closed"]}),
    ]
    readonly_fields = ["closed"]
    closed = local_column("closed_at", "Account closed")
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),
    ]
    autocomplete_fields = ["service_account"]

    def zone_of(self, obj: User | None) -> tuple[ZoneInfo, str]:
        if obj is None or not (obj.time_zone or obj.service_account_id):
            return super().zone_of(obj)
        return zone_for(customer=obj), "the user's zone"


class CurrentStatusFilter(admin.SimpleListFilter):
    """Status as it is now: a pending invitation past its expiry counts as expired."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return Invitation.Status.choices

    def queryset(self, request, queryset):
        now = timezone.now()
        pending = Q(status=Invitation.Status.PENDING)
        match self.value():
            case Invitation.Status.PENDING:
                return queryset.filter(pending, expires_at__gt=now)
            case Invitation.Status.EXPIRED:
                return queryset.filter(
                    Q(status=Invitation.Status.EXPIRED) | (pending & Q(expires_at__lte=now))
                )
            case None:
                return queryset
            case value:
                return queryset.filter(status=value)


class InvitationForm(forms.ModelForm):
    """Says at once, before any mail, when the address already has an account."""

    class Meta:
        model = Invitation
        fields = ["contact_name", "email", "service_account"]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        try:
            services.check_invitable(email)
        except services.InvitationError as exc:
            raise forms.ValidationError(str(exc)) from None
        return email


@admin.register(Invitation)
class InvitationAdmin(ZonedAdmin):
    form = InvitationForm
    list_display = [
        "email",
        "contact_name",
        "service_account",
        "status_now",
        "expires",
        "sent",
        "redeemed",
        "created_by",
    ]
    # Only the accounts that have invitations: there may be thousands without.
    list_filter = [CurrentStatusFilter, ("service_account", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["service_account", "created_by"]
    search_fields = ["email", "contact_name"]
    autocomplete_fields = ["service_account"]
    actions = ["resend", "revoke"]
    readonly_fields = [
        "status_now",
        "code_and_link",
        "created_at",
        "expires_at",
        "sent_at",
        "redeemed_at",
        "redeemed_by",
        "created_by",
        "replaced_by",
    ]

    def zone_of(self, obj: Invitation | None) -> tuple[ZoneInfo, str]:
        return site_zone(obj.service_account if obj else None)

    def get_object(self, request, object_id, from_field=None):
        invitation = super().get_object(request, object_id, from_field)
        if invitation is not None:
            invitation.link_base = base_url_of(request)
        return invitation

    expires = local_column("expires_at", "Expires")
    sent = local_column("sent_at", "Sent")
    redeemed = local_column("redeemed_at", "Redeemed")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # A sent invitation is a record: fix a mistake by revoking and inviting again.
        return ["contact_name", "email", "service_account", *self.readonly_fields]

    @admin.display(description="Status")
    def status_now(self, obj: Invitation) -> str:
        return Invitation.Status(obj.current_status).label

    @admin.display(description="Code")
    def code_and_link(self, obj: Invitation) -> str:
        if obj.current_status != Invitation.Status.PENDING:
            return "—"
        # Where this dispatcher reached the portal (get_object), like the mail's link.
        link = services.invitation_link(obj, base_url=getattr(obj, "link_base", None))
        return format_html('{}<br><a href="{}">{}</a>', obj.display_code, link, link)

    def save_model(self, request, obj: Invitation, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        replaced = Invitation.objects.filter(
            email=obj.email, status=Invitation.Status.PENDING
        ).exists()
        created = services.invite(
            contact_name=obj.contact_name,
            email=obj.email,
            service_account=obj.service_account,
            created_by=request.user,
            base_url=base_url_of(request),
        )
        obj.pk = created.pk
        if replaced:
            self.message_user(
                request,
                f"{obj.email} had a pending invitation: it was sent again with a new code "
                "(the old code stops working).",
                messages.WARNING,
            )

    @admin.action(description="Send again with a new code (the old code stops working)")
    def resend(self, request, queryset):
        sent = 0
        for invitation in queryset:
            try:
                services.resend(
                    invitation=invitation, by=request.user, base_url=base_url_of(request)
                )
            except services.InvitationError as exc:
                self.message_user(request, f"Not sent: {invitation.email}. {exc}", messages.WARNING)
            else:
                sent += 1
        if sent:
            self.message_user(request, f"Sent {sent} new invitation(s).", messages.SUCCESS)

    @admin.action(description="Revoke (the code stops working)")
    def revoke(self, request, queryset):
        revoked = 0
        for invitation in queryset:
            try:
                services.revoke(invitation=invitation)
            except services.InvitationError as exc:
                self.message_user(
                    request, f"Not revoked: {invitation.email}. {exc}", messages.WARNING
                )
            else:
                revoked += 1
        if revoked:
            self.message_user(request, f"Revoked {revoked} invitation(s).", messages.SUCCESS)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ZonedAdmin):
    """Mail belongs to no one site: its times are in the portal's default zone."""

    list_display = [
        "created",
        "subject",
        "to",
        "status",
        "attempts",
        "last_attempt",
        "sent",
        "last_error",
    ]
    list_filter = ["status"]
    search_fields = ["to", "subject"]
    date_hierarchy = "created_at"
    actions = ["deliver_again"]
    fields = [
        "created_at",
        "subject",
        "from_email",
        "to",
        "status",
        "attempts",
        "last_attempt_at",
        "sent_at",
        "last_error",
        "body",
    ]
    readonly_fields = fields

    created = local_column("created_at", "Created")
    last_attempt = local_column("last_attempt_at", "Last attempt")
    sent = local_column("sent_at", "Sent")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Text")
    def body(self, obj: OutboxMessage) -> str:
        # Line breaks kept without an inline style, which the Content-Security-Policy refuses.
        return linebreaksbr(obj.payload.get("body", "(written when it is delivered)"))

    @admin.action(
        description="Try delivery again (failed, or queued and stuck for an hour)",
        permissions=["view"],
    )
    def deliver_again(self, request, queryset):
        selected = queryset.count()
        with transaction.atomic():
            queued = tasks.enqueue_on_commit(outbox.start_over(queryset))
        self.message_user(request, f"Queued {queued} message(s) for delivery again.")
        if queued < selected:
            self.message_user(
                request,
                f"Left {selected - queued} alone: sent, or queued and tried within the last hour.",
                messages.WARNING,
            )


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdmin):
    """Admin's own log of changes, read-only: who changed what and when. A supervisor (the
    Supervisors group, admin.view_logentry) reads it; dispatchers do not."""

    list_display = ["when", "by", "content_type", "object_repr", "action_flag", "changes"]
    list_filter = ["action_flag", "content_type"]
    list_select_related = ["user", "content_type"]
    search_fields = ["object_repr", "user__email", "change_message"]
    date_hierarchy = "action_time"
    fields = [
        "action_time",
        "user",
        "content_type",
        "object_id",
        "object_repr",
        "action_flag",
        "changes",
    ]
    readonly_fields = fields

    when = local_column("action_time", "When")

    @admin.display(description="By", ordering="user__email")
    def by(self, obj: LogEntry) -> str:
        return obj.user.email

    @admin.display(description="Change")
    def changes(self, obj: LogEntry) -> str:
        return obj.get_change_message()
