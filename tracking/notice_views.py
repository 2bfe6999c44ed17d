"""Unsubscribing from the on-the-way notices, from the link in each of them (common.unsubscribe)."""

from django.shortcuts import render

from common.unsubscribe import unsubscribe_view
from tracking import notice_mail
from tracking.models import NoticeOptOut

unsubscribe = unsubscribe_view(
    NoticeOptOut,
    customer_of=notice_mail.customer_of,
    template="tracking/notices/unsubscribe.html",
    bad_link=lambda request: render(request, "tracking/notices/bad_link.html", status=400),
)
