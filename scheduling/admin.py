from django.contrib import admin, messages
from django.db.models import Count

from scheduling import services
from scheduling.models import ServiceAccount, Territory


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = ["name", "account_count"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(account_count=Count("accounts"))

    @admin.display(description="Service accounts", ordering="account_count")
    def account_count(self, obj) -> int:
        return obj.account_count


class LocationFilter(admin.SimpleListFilter):
    title = "location"
    parameter_name = "location"

    def lookups(self, request, model_admin):
        return [("missing", "Needs location"), ("known", "Located")]

    def queryset(self, request, queryset):
        if self.value() == "missing":
            return queryset.filter(latitude__isnull=True)
        if self.value() == "known":
            return queryset.filter(latitude__isnull=False)
        return queryset


@admin.register(ServiceAccount)
class ServiceAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "territory", "time_zone", "located", "location_error"]
    list_filter = [LocationFilter, "territory"]
    list_select_related = ["territory"]
    search_fields = ["name", "address"]
    readonly_fields = ["location_error", "created_at"]
    actions = ["look_up_location"]

    @admin.display(boolean=True, description="Located")
    def located(self, obj: ServiceAccount) -> bool:
        return not obj.needs_location

    def save_model(self, request, obj: ServiceAccount, form, change):
        if obj.needs_location or not obj.time_zone:
            services.fill_location(account=obj)
        super().save_model(request, obj, form, change)
        if obj.needs_location:
            self.message_user(
                request,
                f"{obj.name} needs a location: {obj.location_error} "
                "Enter latitude and longitude by hand, or correct the address.",
                messages.WARNING,
            )

    @admin.action(description="Look up location again from the address")
    def look_up_location(self, request, queryset):
        located = 0
        for account in queryset:
            account.latitude = account.longitude = None
            located += services.fill_location(account=account)
            account.save()
        missing = queryset.count() - located
        self.message_user(request, f"Located {located}; {missing} still need a location.")
