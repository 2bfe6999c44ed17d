"""The domain's refusals, each with the message the customer sees, and which database
errors mean that a racing booking won."""

from django.db import DatabaseError

# Our exclusion constraint on (resource, period) for active appointments.
OVERLAP_CONSTRAINT = "appointment_no_overlap"
# PostgreSQL's codes for the other ways a racing booking can win: the resource's row stayed
# locked past lock_timeout, or two transactions waited on each other.
LOCK_NOT_AVAILABLE = "55P03"
DEADLOCK_DETECTED = "40P01"
EXCLUSION_VIOLATION = "23P01"


class SchedulingError(Exception):
    """A booking rule said no; the message is for the customer."""


class SlotTaken(SchedulingError):
    """Someone else got the time first: pick another."""

    def __init__(self, message: str = "That time was just taken. Please pick another time."):
        super().__init__(message)


class TimeNotAvailable(SchedulingError):
    """The time was never one to offer: nobody who could do the visit works then."""

    def __init__(
        self, message: str = "That time is not available. Please pick one of the offered times."
    ):
        super().__init__(message)


class NotChangeable(SchedulingError):
    """The appointment can no longer be changed by the customer."""


def sqlstate(exc: DatabaseError) -> str | None:
    """The SQLSTATE of the driver's error behind Django's, if the server sent one."""
    return getattr(exc.__cause__, "sqlstate", None)


def constraint_name(exc: DatabaseError) -> str | None:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)


def lost_race(exc: DatabaseError) -> bool:
    """Whether the error only says that a racing booking won: the overlap constraint caught
    it, or the lock wait timed out or deadlocked. Anything else (a dropped connection, a bug)
    is a server error and must not be passed off as a taken time."""
    code = sqlstate(exc)
    if code == EXCLUSION_VIOLATION:
        return constraint_name(exc) == OVERLAP_CONSTRAINT
    return code in {LOCK_NOT_AVAILABLE, DEADLOCK_DETECTED}
