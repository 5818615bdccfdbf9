"""Why a webhook attempt failed: stored by the delivery (services), shown by the delivery log (selectors)."""

from django.conf import settings
from django.utils.translation import gettext as _

MAX_ERROR = 500  # WebhookAttempt.error's length


class AttemptError:
    """Why an attempt got no answer, stored as the first word of its error (`<kind>: <detail>`): the delivery log
    shows the kind as a sentence in the reader's language (`attempt_error_text`), the detail as the system gave it."""

    DNS = "dns"
    PRIVATE_ADDRESS = "private-address"  # detail: "<name> <address>"
    TLS = "tls"
    TIMEOUT = "timeout"
    CONNECTION = "connection"


def attempt_error(kind, detail) -> str:
    """The error to store for an attempt that failed for `kind`, with the system's `detail` (text or exception)."""
    if isinstance(detail, BaseException):
        detail = f"{type(detail).__name__}: {detail}"
    return f"{kind}: {detail}"[:MAX_ERROR]


def attempt_error_text(error) -> str:
    """An attempt's stored error as the delivery log shows it: what happened, in the reader's language (then the
    system's own words, for whoever debugs the endpoint). An error stored before the kinds existed is shown as is."""
    kind, _sep, detail = (error or "").partition(": ")
    if kind == AttemptError.PRIVATE_ADDRESS:
        host, _sep, address = detail.partition(" ")
        return _("Refused: %(host)s resolves to %(address)s, an address of a private or local network; webhooks go "
                 "to public addresses only.") % {"host": host, "address": address}
    if kind == AttemptError.DNS:
        sentence = _("The endpoint's name could not be resolved.")
    elif kind == AttemptError.TLS:
        sentence = _("The secure connection failed (certificate or TLS).")
    elif kind == AttemptError.TIMEOUT:
        sentence = _("No answer within %(seconds)s seconds.") % {"seconds": f"{settings.WEBHOOK_TIMEOUT_SECONDS:g}"}
    elif kind == AttemptError.CONNECTION:
        sentence = _("The connection failed or was refused.")
    else:
        return error or ""
    return f"{sentence} ({detail})"
