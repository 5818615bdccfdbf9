"""REST API for deal registrations (H3), mounted at /api/registrations/: list and read what the caller may see,
register a deal (partner people). A registration colliding with another party's record says only that it is
under review (`under_review`); another partner's protected registration refuses it with 409 and the same words."""

from django.db.models import Exists, OuterRef, Q
from django.urls import include, path
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from prm_portal.core.versioning import with_etag

from . import services
from .models import CURRENCIES, Conflict, Registration
from .selectors import registration_get_for_user, registration_list_visible_to


class RegistrationSerializer(serializers.ModelSerializer):
    partner_account = serializers.StringRelatedField()
    under_review = serializers.SerializerMethodField(
        help_text="The channel team is reviewing an overlap with another record of the same customer.")

    class Meta:
        model = Registration
        fields = ["id", "status", "under_review", "partner_account", "customer_name", "customer_country",
                  "customer_duns", "customer_domain", "contact_name", "contact_email", "contact_phone", "products",
                  "estimated_value", "currency", "estimated_close_date", "justification", "protected_until",
                  "review_comment", "opportunity", "submitted_at", "updated_at", "version"]
        read_only_fields = fields

    def get_under_review(self, obj) -> bool:
        annotated = getattr(obj, "has_open_conflict", None)
        return bool(annotated) if annotated is not None else services.record_is_under_review(obj)


class RegistrationCreateSerializer(serializers.Serializer):
    customer_name = serializers.CharField(max_length=200)
    customer_country = serializers.RegexField(r"^[A-Za-z]{2}$", max_length=2, help_text="ISO code, e.g. CZ.")
    customer_duns = serializers.RegexField(r"^[\d -]*$", max_length=13, required=False, allow_blank=True,
                                           default="")
    customer_domain = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    contact_name = serializers.CharField(max_length=200)
    contact_email = serializers.EmailField(required=False, allow_blank=True, default="")
    contact_phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    products = serializers.CharField(max_length=5000)
    estimated_value = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    currency = serializers.ChoiceField(choices=CURRENCIES, default="EUR")
    estimated_close_date = serializers.DateField()
    justification = serializers.CharField(max_length=5000)


def _with_review_flag(qs):
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_model(Registration)
    open_conflict = Conflict.objects.filter(
        Q(first_content_type=content_type, first_object_id=OuterRef("pk"))
        | Q(second_content_type=content_type, second_object_id=OuterRef("pk")),
        status=Conflict.Status.OPEN,
    )
    return qs.annotate(has_open_conflict=Exists(open_conflict))


class RegistrationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = RegistrationSerializer
    queryset = Registration.objects.none()

    def get_queryset(self):
        return _with_review_flag(registration_list_visible_to(user=self.request.user))

    def retrieve(self, request, pk=None):
        """One registration; its ETag is its version."""
        registration = registration_get_for_user(user=request.user, pk=pk)
        return with_etag(Response(RegistrationSerializer(registration).data), registration)

    @extend_schema(request=RegistrationCreateSerializer, responses={201: RegistrationSerializer})
    def create(self, request):
        """Register a deal found by the caller's partner; partner people only."""
        data = RegistrationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        registration = services.registration_submit(actor=request.user, **data.validated_data)
        return with_etag(Response(RegistrationSerializer(registration).data, status=status.HTTP_201_CREATED),
                         registration)


router = SimpleRouter()
router.register("", RegistrationViewSet, basename="registration")

app_name = "registrations_api"
urlpatterns = [path("", include(router.urls))]
