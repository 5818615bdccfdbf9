"""/api/docs/: Redoc from drf-spectacular-sidecar (no CDN, no web fonts), under a policy that keeps it on this host."""

from django.urls import reverse


def test_api_docs_page_loads_redoc_from_this_server_only(client, cast):
    client.force_login(cast.vendor_admin)
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js" in html
    for outside in ("https://", "http://", "fonts.googleapis", "cdn.jsdelivr"):
        assert outside not in html, outside
    policy = response["Content-Security-Policy"]
    assert "img-src 'self' data:;" in policy and "cdn" not in policy and "https:" not in policy


def test_the_reference_page_is_not_in_the_schema_it_shows(client, cast):
    client.force_login(cast.vendor_admin)
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json").json()
    assert "/api/docs/" not in schema["paths"]
    assert any(path.startswith("/api/leads/") for path in schema["paths"])
