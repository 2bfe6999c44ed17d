from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.functional import cached_property

from scheduling.catalogue import catalogue
from scheduling.models import Product, ServiceType, Territory


class OfferedChoiceField(forms.Field):
    """One of `offered` (objects by primary key, from the catalogue), checked without a
    query."""

    default_error_messages = {"invalid_choice": "Select a valid choice."}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.offered: dict = {}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        choice = self.offered.get(_pk(value))
        if choice is None:
            raise forms.ValidationError(self.error_messages["invalid_choice"], "invalid_choice")
        return choice


class SlotForm(forms.Form):
    """A day and a start on it, as offered in the customer's time zone."""

    day = forms.DateField(label="Day")
    start = forms.CharField(label="Time", error_messages={"required": "Pick a time for the visit."})

    def __init__(self, *args, zone: ZoneInfo, days: list[date], **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.days = days

    def clean_day(self) -> date:
        day = self.cleaned_data["day"]
        if day not in self.days:
            raise forms.ValidationError("Pick one of the days shown.")
        return day

    def clean_start(self) -> datetime:
        raw = self.cleaned_data["start"]
        try:
            start = datetime.fromisoformat(raw)
        except ValueError:
            raise forms.ValidationError("Pick one of the offered times.") from None
        if start.tzinfo is None:
            raise forms.ValidationError("Pick one of the offered times.")
        try:
            start.astimezone(self.zone)  # years 1 and 9999 cannot move between zones
        except OverflowError:
            raise forms.ValidationError("Pick one of the offered times.") from None
        return start

    def clean(self):
        cleaned = super().clean()
        day, start = cleaned.get("day"), cleaned.get("start")
        if day and start and start.astimezone(self.zone).date() != day:
            self.add_error("start", "Pick one of the times offered for that day.")
        return cleaned


class BookingForm(SlotForm):
    product = OfferedChoiceField(
        label="Product",
        error_messages={"invalid_choice": "Choose one of the products listed."},
    )
    service_type = OfferedChoiceField(
        label="Service type",
        error_messages={"invalid_choice": "Choose a service type offered for this product."},
    )
    comments = forms.CharField(
        label="Comments",
        required=False,
        max_length=2000,
        help_text="Anything the technician should know: access, parking, the problem you see.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    token = forms.UUIDField(widget=forms.HiddenInput)
    # Sent by the second submit after the page warned of a similar upcoming visit.
    confirm_similar = forms.BooleanField(required=False, widget=forms.HiddenInput)

    field_order = ["product", "service_type", "day", "start", "comments", "token"]

    def __init__(self, data=None, *, choices=None, **kwargs):
        """`choices` holds the product and service type picked so far when the form is not
        submitted (the steps of the page without JavaScript); a submitted form reads them
        from its data."""
        super().__init__(data, **kwargs)
        self.choices = data if data is not None else (choices or {})
        offer = catalogue()
        self.products = list(offer.products.values())
        # The service types of the product the customer chose; the product field itself
        # checks that product.
        self.service_types = offer.service_types_for(_pk(self.choices.get("product")))
        self.fields["product"].offered = offer.products
        self.fields["service_type"].offered = {st.pk: st for st in self.service_types}

    @cached_property
    def chosen_product(self) -> Product | None:
        return self._chosen("product")

    @cached_property
    def chosen_service_type(self) -> ServiceType | None:
        return self._chosen("service_type") if self.chosen_product else None

    def _chosen(self, name: str):
        """The choice as the page shows it: valid, even when other fields are not."""
        cleaned = getattr(self, "cleaned_data", {})
        if name in cleaned:
            return cleaned[name]
        return self.fields[name].offered.get(_pk(self.choices.get(name)))


class OnBehalfForm(BookingForm):
    """The booking form as a dispatcher fills it in admin for a customer: which of the
    customer's sites first, then the customer's own choices."""

    site = OfferedChoiceField(
        label="Site",
        error_messages={
            "required": "Choose the site of the visit.",
            "invalid_choice": "Choose one of this customer's sites.",
        },
    )

    field_order = ["site", *BookingForm.field_order]

    def __init__(self, data=None, *, sites: list, **kwargs):
        super().__init__(data, **kwargs)
        self.sites = sites
        self.fields["site"].offered = {site.pk: site for site in sites}


def _pk(raw) -> int | None:
    try:
        return int(raw) if raw else None
    except (TypeError, ValueError):
        return None


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Why are you canceling?",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Please tell us why you are canceling."},
    )


class DayBoardForm(forms.Form):
    """Which territory and day the dispatchers' day board shows; both may be left out (the
    board picks the first territory, and today on its clock)."""

    # Days this far from today, either way: enough for any plan, and far from the years
    # where a date cannot move between zones.
    REACH = timedelta(days=3650)

    territory = forms.ChoiceField(
        label="Territory",
        required=False,
        error_messages={"invalid_choice": "There is no such territory: choose one from the list."},
    )
    day = forms.DateField(
        label="Day",
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter the day as year-month-day, for example 2030-06-04."},
    )

    def __init__(self, *args, territories: list[Territory], **kwargs):
        super().__init__(*args, **kwargs)
        self.territories = {str(t.pk): t for t in territories}
        self.fields["territory"].choices = [(pk, t.name) for pk, t in self.territories.items()]

    def clean_territory(self) -> Territory | None:
        return self.territories.get(self.cleaned_data["territory"])

    def clean_day(self) -> date | None:
        day = self.cleaned_data["day"]
        today = timezone.now().date()
        if day is not None and abs(day - today) > self.REACH:
            raise forms.ValidationError("Pick a day within ten years of today.")
        return day
