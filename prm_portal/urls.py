from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from prm_portal.core.views import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("auth/", include("allauth.urls")),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/referrals/", include("referrals.api_urls")),
    path("api/leads/", include("leads.api")),
    path("partners/", include("accounts.urls")),
    path("leads/", include("leads.urls")),
    path("opportunities/", include("opportunities.urls")),
    path("referrals/", include("referrals.urls")),
    path("", include("reports.urls")),
]

admin.site.site_header = settings.PORTAL_BRAND["name"]
admin.site.site_title = settings.PORTAL_BRAND["name"]
