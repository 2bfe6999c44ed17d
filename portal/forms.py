import re
import zoneinfo

from django import forms
from django.contrib.auth import password_validation

from common import timezones
from portal.models import User

PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{6,24}$")


class TimeZoneField(forms.ChoiceField):
    """The zones for common use grouped by region (common.timezones). Another name of a
    listed zone (US/Pacific, what an old browser reports) counts as that zone; a zone outside
    the list that someone already has (set in admin) stays offered, so saving keeps it."""

    def __init__(self, **kwargs):
        super().__init__(choices=timezones.grouped_choices, **kwargs)
        self.widget.attrs["data-time-zone"] = ""

    def to_python(self, value) -> str:
        value = super().to_python(value).strip()
        return timezones.canonical(value) or value

    def keep(self, name: str) -> str:
        """The value to show for `name` (a stored zone): its listed name, or `name` itself,
        offered in a group of its own."""
        listed = timezones.canonical(name)
        if listed is None and name in zoneinfo.available_timezones():
            self.choices = [*self.choices, ("Your current zone", [(name, name)])]
            return name
        return listed or name

    @property
    def aliases(self) -> dict[str, str]:
        return timezones.aliases()


def names_from_contact(contact_name: str) -> dict[str, str]:
    """The dispatcher's contact name as a first guess at the profile's names: the first word
    is the first name, the rest the last name. The customer corrects it on the form."""
    first, _, last = " ".join(contact_name.split()).partition(" ")
    return {"first_name": first, "last_name": last}


class RedeemForm(forms.Form):
    code = forms.CharField(
        label="Invitation code",
        max_length=64,
        help_text="It is in your invitation email, for example ABCD-EFGH-JKMN-PQRS-TVWX.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


class ProfileForm(forms.Form):
    first_name = forms.CharField(
        label="First name",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label="Last name",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    phone = forms.CharField(
        label="Phone",
        max_length=32,
        required=False,
        help_text="So the technician can reach you on the day. Optional.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    time_zone = TimeZoneField(
        label="Time zone",
        help_text="Appointment times are shown in this time zone.",
    )

    def __init__(self, *args, suggest_device_zone: bool = False, **kwargs):
        """`suggest_device_zone`: the customer has no zone of their own yet, so a browser
        running scripts chooses the device's zone for them (static/js/time-zone.js)."""
        super().__init__(*args, **kwargs)
        field = self.fields["time_zone"]
        if self.initial.get("time_zone"):
            self.initial["time_zone"] = field.keep(self.initial["time_zone"])
        if suggest_device_zone and not self.is_bound:
            field.widget.attrs["data-suggest"] = "device"

    def clean_first_name(self) -> str:
        return self.cleaned_data["first_name"].strip()

    def clean_last_name(self) -> str:
        return self.cleaned_data["last_name"].strip()

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if phone and not PHONE_RE.match(phone):
            raise forms.ValidationError(
                "Enter a phone number using digits, spaces and an optional leading +."
            )
        return phone


class CreateProfileForm(ProfileForm):
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The two passwords differ.")
        elif password1:
            candidate = User(
                email=self.email,
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class CloseAccountForm(forms.Form):
    """Closing is for good, so the customer types their email address or their password."""

    confirm = forms.CharField(
        label="Your email address or your password",
        max_length=256,
        strip=False,
        help_text="Type either one to confirm that you want to close your account.",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_confirm(self) -> str:
        typed = self.cleaned_data["confirm"]
        if typed.strip().lower() == self.user.email.lower() or self.user.check_password(typed):
            return typed
        raise forms.ValidationError(
            "That is neither your email address nor your password. Nothing was closed."
        )
