"""E-mail: an outbox written with the event that causes it, and a sender that retries.

| module | holds |
|---|---|
| ``compose`` | ``Mail``: subject, short Dutch paragraphs and one link, as plain text and HTML |
| ``notices`` | who is told what for each event, and the staff's choice of messages |
| ``outbox`` | queueing in the caller's transaction, listing without personal data, purge |
| ``smtp`` | the SMTP connection (stdlib ``smtplib``) and its temporary/permanent errors |
| ``sender`` | claiming due messages safely, sending them, retries with backoff, the service's task |

Settings: ``WABP_SMTP_HOST``, ``_PORT``, ``_STARTTLS``, ``_TLS``, ``_USER``, ``_PASSWORD``,
``WABP_MAIL_FROM``; without a host, messages wait in the outbox (``wabp outbox``).
"""

from __future__ import annotations

from service.mail.compose import Link, Mail
from service.mail.outbox import (
    Entry,
    counts,
    entries,
    public_url,
    queue,
    session_info,
    wake_on_commit,
)
from service.mail.sender import BackgroundSender, Policy, Report, send_due
from service.mail.smtp import DeliveryError, PermanentError, SmtpConfig, TemporaryError

__all__ = [
    "BackgroundSender",
    "DeliveryError",
    "Entry",
    "Link",
    "Mail",
    "PermanentError",
    "Policy",
    "Report",
    "SmtpConfig",
    "TemporaryError",
    "counts",
    "entries",
    "public_url",
    "queue",
    "send_due",
    "session_info",
    "wake_on_commit",
]
