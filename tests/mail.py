"""E-mail in tests: an inbox for the real SMTP server on loopback (aiosmtpd; the ``smtp`` and
``smtp_server`` fixtures in tests/conftest.py start it) and readers for what it received."""

from __future__ import annotations

import email
from email.message import Message

from aiosmtpd.controller import Controller

from tests.loopback import free_port


class Inbox:
    """An aiosmtpd handler keeping every message with its recipients."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 OK"


def start_smtp(handler: object) -> tuple[Controller, int]:
    """aiosmtpd 1.4's Controller connects to its own port once started: it needs a real one."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, port


def body(msg: Message) -> str:
    return msg.get_payload(decode=True).decode(msg.get_content_charset() or "utf-8")


def subject(msg: Message) -> str:
    return str(email.header.make_header(email.header.decode_header(msg["Subject"])))
