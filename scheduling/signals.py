"""What scheduling tells the apps above it. Sent after the transaction commits, so a
receiver sees the change in the database, and a rolled-back change tells nobody."""

from django.dispatch import Signal

# Sent with sender=Appointment and the keyword arguments appointment (as saved), from_status,
# to_status and by (the user who made the change, or None).
appointment_transitioned = Signal()
