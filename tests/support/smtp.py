"""A local SMTP server standing in for the mail provider in tests."""

from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tests.support.ports import free_port

REFUSED_DOMAIN = "refused.invalid"


class _Handler:
    def __init__(self, store: list):
        self.store = store

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().endswith("@" + REFUSED_DOMAIN):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.store.append((envelope.rcpt_tos, envelope.content))
        return "250 Message accepted for delivery"


class SMTPStandIn:
    def __init__(self):
        self.port = free_port()
        self.received: list[tuple[list[str], bytes]] = []
        self._controller = Controller(_Handler(self.received), hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def messages_to(self, address: str) -> list[EmailMessage]:
        return [
            message_from_bytes(content, policy=policy.default)
            for rcpt, content in self.received
            if address in rcpt
        ]
