"""Operations on the scheduling domain, one module per subdomain. Each state change is one
transaction, records an AppointmentEvent, sends its mail through Django's mail API (the outbox
delivers it after commit), and raises a SchedulingError whose message is shown to the person
who asked. Callers use the names below."""

from scheduling.services.booking import book
from scheduling.services.changes import cancel, reschedule
from scheduling.services.errors import (
    NotChangeable,
    SchedulingError,
    SlotTaken,
    TimeNotAvailable,
)
from scheduling.services.rules import bookable_days, change_refusal
from scheduling.services.slots import Calendar, availability, free_resources
from scheduling.services.transitions import TRANSITIONS, IllegalTransition, transition

__all__ = [
    "TRANSITIONS",
    "Calendar",
    "IllegalTransition",
    "NotChangeable",
    "SchedulingError",
    "SlotTaken",
    "TimeNotAvailable",
    "availability",
    "book",
    "bookable_days",
    "cancel",
    "change_refusal",
    "free_resources",
    "reschedule",
    "transition",
]
