"""What a message says: a subject, a few short Dutch paragraphs and at most one link.

Both bodies come from the same parts, so plain text and HTML never say different things. The
HTML is escaped by Jinja (autoescape): nothing a resident typed can become markup in a mail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from jinja2 import Environment, select_autoescape

FOOTER = (
    "Bij verdachte situaties belt u altijd eerst 101, bij direct levensgevaar 112. "
    "Deze e-mail is automatisch verstuurd; antwoorden wordt niet gelezen."
)

_HTML = """<!DOCTYPE html>
<html lang="nl">
<head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: sans-serif; line-height: 1.5; max-width: 36em; color: #1a1a1a">
{% for p in paragraphs %}<p>{{ p }}</p>
{% endfor %}{% if link %}<p><a href="{{ link.url }}" style="display: inline-block; padding: 0.5em 1em; background: #0b5394; color: #ffffff; text-decoration: none; border-radius: 4px">{{ link.label }}</a></p>
<p style="font-size: 0.9em">Werkt de knop niet? Kopieer dan deze link in uw browser:<br>{{ link.url }}</p>
{% endif %}{% for p in notes %}<p style="font-size: 0.9em">{{ p }}</p>
{% endfor %}<hr>
<p style="font-size: 0.8em; color: #555555">{{ footer }}</p>
</body>
</html>
"""


@dataclass(frozen=True)
class Link:
    """The one action a message offers: a label and an absolute URL."""

    label: str
    url: str


@dataclass(frozen=True)
class Mail:
    """A message before it is queued: subject, paragraphs, an optional link and small print."""

    subject: str
    paragraphs: tuple[str, ...]
    link: Link | None = None
    notes: tuple[str, ...] = field(default=())

    def text(self) -> str:
        """Return the plain-text body."""
        parts = list(self.paragraphs)
        if self.link is not None:
            parts.append(f"{self.link.label}:\n{self.link.url}")
        parts.extend(self.notes)
        parts.append(f"-- \n{FOOTER}")
        return "\n\n".join(parts) + "\n"

    def html(self) -> str:
        """Return the HTML body (the same text, escaped)."""
        return (
            _environment()
            .from_string(_HTML)
            .render(
                subject=self.subject,
                paragraphs=self.paragraphs,
                link=self.link,
                notes=self.notes,
                footer=FOOTER,
            )
        )


@cache
def _environment() -> Environment:
    return Environment(autoescape=select_autoescape(default=True, default_for_string=True))
