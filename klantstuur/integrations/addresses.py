"""Where a webhook may go: ``http(s)`` URLs only, and in production never to a private,
loopback, link-local or otherwise internal address (the server's own network is not
the caller's to probe). ``KLANTSTUUR["WEBHOOKS_ALLOW_PRIVATE"]`` lifts the second rule
for development, the demo and the tests."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from klantstuur.core.errors import Invalid


def allow_private() -> bool:
    return bool(settings.KLANTSTUUR.get("WEBHOOKS_ALLOW_PRIVATE", False))


def internal(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not ip.is_global or ip.is_multicast


def url_check(url: str) -> str:
    """The URL as given, or Invalid naming ``url``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid(_("Only http:// and https:// URLs can receive webhooks."), field="url")
    if parts.username or parts.password:
        raise Invalid(_("Put no user name or password in the URL."), field="url")
    if not allow_private():
        reason = address_refused(parts.hostname, parts.port)
        if reason:
            raise Invalid(reason, field="url")
    return url


def address_refused(host: str, port: int | None) -> str:
    """Why the host may not be sent to ("" when it may): checked when the endpoint is made
    and again before every attempt (a name may come to point elsewhere)."""
    if allow_private():
        return ""
    try:
        found = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return _("The host name %(host)s does not resolve.") % {"host": host}
    if not found or any(internal(str(info[4][0]).split("%")[0]) for info in found):
        return _("%(host)s is a private or internal address.") % {"host": host}
    return ""
