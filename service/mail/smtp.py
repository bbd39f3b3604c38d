"""Talking to the SMTP server (stdlib ``smtplib``): connect, send, and sort the failures.

Errors::

    DeliveryError            a message was not accepted; ``reason`` is safe to store and log
     ├── TemporaryError        try again later: no connection, a timeout, a 4xx reply
     └── PermanentError        the server refused this message for good: a 5xx reply

A reason never holds an e-mail address: servers often name the refused recipient in their reply
(``550 <x@y.be>: user unknown``), and the reason goes to the outbox and into log lines.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from service.settings import Settings

_ADDRESS = re.compile(r"[^\s<>()\[\]\"',;:]+@[^\s<>()\[\]\"',;:]+")
MAX_REASON = 300


class DeliveryError(Exception):
    """A message was not accepted by the SMTP server."""

    def __init__(self, reason: str) -> None:
        self.reason = redact(reason)[:MAX_REASON]
        super().__init__(self.reason)


class TemporaryError(DeliveryError):
    """The server could not be reached, timed out or answered 4xx: the message stays queued."""


class PermanentError(DeliveryError):
    """The server answered 5xx for this message: it will never be accepted as it is."""


def redact(text: str) -> str:
    """Replace every e-mail address in a text (an SMTP reply) with ``<adres>``."""
    return _ADDRESS.sub("<adres>", text)


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send: from the ``WABP_SMTP_*`` and ``WABP_MAIL_FROM`` settings."""

    host: str
    port: int
    sender: str
    starttls: bool = True
    tls: bool = False
    user: str | None = None
    password: str | None = None
    timeout: float = 30

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig | None:
        """Return the SMTP configuration, or None when no server is configured (mail waits)."""
        if not settings.smtp_host or not settings.mail_from:
            return None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.mail_from,
            starttls=settings.smtp_starttls and not settings.smtp_tls,
            tls=settings.smtp_tls,
            user=settings.smtp_user,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            timeout=settings.smtp_timeout,
        )


def build(
    config: SmtpConfig, message_id: str, recipient: str, subject: str, text: str, html: str | None
) -> EmailMessage:
    """Return the e-mail: plain text with an HTML alternative."""
    message = EmailMessage()
    message["From"] = config.sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    # One Message-ID per outbox row: should a message ever go out twice (a crash between the
    # server's acceptance and our bookkeeping), mail clients show it once.
    domain = config.sender.rpartition("@")[2].strip("> ") or "wabp.invalid"
    message["Message-ID"] = make_msgid(idstring=message_id, domain=domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


class Connection:
    """One SMTP session for a batch of messages (``with Connection(config) as smtp: ...``)."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Connection:
        config = self.config
        try:
            if config.tls:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    config.host,
                    config.port,
                    timeout=config.timeout,
                    context=ssl.create_default_context(),
                )
            else:
                smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
            self._smtp = smtp
            if config.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if config.user:
                smtp.login(config.user, config.password or "")
        except smtplib.SMTPResponseException as exc:
            self._close()
            # A refused greeting or login concerns the server, not a message: keep it queued.
            raise TemporaryError(f"{exc.smtp_code} {_text(exc.smtp_error)}") from None
        except (smtplib.SMTPException, OSError) as exc:
            self._close()
            raise TemporaryError(
                f"geen verbinding met {config.host}:{config.port}: {exc}"
            ) from None
        return self

    def send(self, message: EmailMessage) -> None:
        """Send one message; return once the server accepted it, else raise a DeliveryError."""
        assert self._smtp is not None, "use the connection in a with block"
        try:
            refused = self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            raise _by_code(code, reply) from None
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, ...
            raise _by_code(exc.smtp_code, exc.smtp_error) from None
        except (smtplib.SMTPException, OSError) as exc:
            self._close()
            raise TemporaryError(f"verbinding verbroken: {exc}") from None
        if refused:  # one recipient per message: a partial refusal cannot happen, but be sure
            code, reply = next(iter(refused.values()))
            raise _by_code(code, reply)

    @property
    def open(self) -> bool:
        """Tell whether the connection is still usable for the next message."""
        return self._smtp is not None

    def _close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def __exit__(self, *exc: object) -> None:
        self._close()


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _by_code(code: int, reply: bytes | str) -> DeliveryError:
    reason = f"{code} {_text(reply)}"
    return PermanentError(reason) if 500 <= code < 600 else TemporaryError(reason)
