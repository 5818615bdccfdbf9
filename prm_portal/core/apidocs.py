"""The API reference (/api/docs/): Redoc served from drf-spectacular-sidecar's static files, so it works with no
Internet. Its page gets a policy of its own that lets nothing load from another host: Redoc's bundle would
otherwise still fetch its "API docs by Redocly" logo from a CDN (the <img> hides itself when blocked)."""

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView

# Redoc needs inline styles (styled-components) and a blob: worker for its search; nothing else leaves 'self'.
API_DOCS_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'self'; object-src 'none'"
)


class ApiDocsView(SpectacularRedocView):
    template_name = "core/api_docs.html"

    @extend_schema(exclude=True)  # the reference page is not part of the API it documents
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = API_DOCS_POLICY
        return response
