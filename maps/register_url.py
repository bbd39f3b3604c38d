"""Where the QR code of a poster points: the registration page, as an absolute web address."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from maps.fragments import DEFAULT_JOIN_URL, safe_href


def registration_url(explicit: str | None, join_url: str | None, base_url: str | None) -> str:
    """Return the registration URL for a QR code, or raise ValueError saying what to give.

    In order: `explicit` (``--register-url``), the dataset's ``join_url``, then that link or
    ``/aanmelden`` on `base_url`. A QR code needs an absolute http(s) address.
    """
    for candidate in (explicit, join_url):
        if candidate and _absolute(candidate):
            return candidate
    if explicit:
        raise ValueError(f"--register-url {explicit!r} must be an absolute http(s) address")
    if base_url:
        if not _absolute(base_url):
            raise ValueError(f"--base-url {base_url!r} must be an absolute http(s) address")
        path = safe_href(join_url)  # the dataset's relative link, else /aanmelden
        return urljoin(base_url.rstrip("/") + "/", path.lstrip("/"))
    raise ValueError(
        "the QR code needs the registration page as a full address: give --register-url, "
        f"--base-url (then {DEFAULT_JOIN_URL} on it) or set join_url in dataset.json"
    )


def _absolute(url: str) -> bool:
    parts = urlsplit(url)
    return safe_href(url, "") == url and parts.scheme in ("http", "https") and bool(parts.netloc)
