"""What scheduling tells the apps above it. Sent after the transaction commits, so a
receiver sees the change in the database, and a rolled-back change tells nobody."""

from django.dispatch import Signal

# Sent with sender=Appointment and the keyword arguments appointment (as saved), from_status,
# to_status, by (the user who made the change, or None) and base_url (where the request that
# made it reached the portal, for links in mail it causes; None: PORTAL_BASE_URL).
appointment_transitioned = Signal()
