from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from accounts.firstrun import first_run
from prm_portal.core.apidocs import ApiDocsView
from prm_portal.core.csp import brand_css
from prm_portal.core.health import healthz, readyz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("auth/", include("allauth.urls")),
    path("healthz", healthz, name="healthz"),  # liveness; both are answered by core.health's middleware first
    path("readyz", readyz, name="readyz"),  # readiness: database, cache, broker, beat, outbox
    path("welcome/", first_run, name="first_run"),  # a blank install's first screen (404 once anyone exists)
    path("brand.css", brand_css, name="brand_css"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),  # offline Redoc (sidecar)
    path("api/referrals/", include("referrals.api_urls")),
    path("api/leads/", include("leads.api")),
    path("partners/setup/sharing/", include("sharing.urls")),  # the wizard sits under Setup → Partners
    path("partners/profile/api-tokens/", include("prm_portal.core.apitoken_urls")),  # one's own API tokens
    path("partners/", include("accounts.urls")),
    path("leads/", include("leads.urls")),
    path("opportunities/", include("opportunities.urls")),
    path("referrals/", include("referrals.urls")),
    path("registrations/", include("registrations.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("api/registrations/", include("registrations.api")),
    path("find/", include("finder.urls")),  # the public partner finder: no sign-in
    path("notifications/", include("notifications.urls")),
    path("", include("reports.urls")),
]

admin.site.site_header = settings.PORTAL_BRAND["name"]
admin.site.site_title = settings.PORTAL_BRAND["name"]
