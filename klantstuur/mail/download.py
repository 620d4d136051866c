"""A file that came by e-mail, as a download: never shown inline, never sniffed."""

from django.http import HttpResponse

from .models import Attachment


def attachment_response(found: Attachment) -> HttpResponse:
    response = HttpResponse(bytes(found.data), content_type=found.content_type)
    safe = found.filename.replace('"', "").replace("\\", "")
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
