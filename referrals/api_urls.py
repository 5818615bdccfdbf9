"""/api/referrals/: list, retrieve, create (outbound), accept, decline, stage, won, lost (E12)."""

from rest_framework.routers import SimpleRouter

from .api import ReferralViewSet

app_name = "referrals_api"
router = SimpleRouter()
router.register("", ReferralViewSet, basename="referral")
urlpatterns = router.urls
