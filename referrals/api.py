"""REST API for referrals (E12): the same selectors and services as the pages.

Another partner's referral answers 404; a change the referral's state does not allow answers 409; bad input 400.
"""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from accounts.models import PartnerLocation
from prm_portal.core.errors import InvalidTransition
from prm_portal.core.versioning import StaleVersion, if_match_version, stale_response, with_etag

from . import services
from .models import SALES_STAGE_PERCENT, Referral, SalesStage, Solution
from .selectors import referral_get_for_user, referral_list_for_tab

MAX_TEXT = 5000


class TeamMemberSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")


class SolutionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Solution.Kind.choices)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    assessment_type = serializers.ChoiceField(choices=Solution.AssessmentType.choices, required=False,
                                              allow_blank=True, default="")


class ReferralSerializer(serializers.ModelSerializer):
    location = serializers.StringRelatedField()
    location_id = serializers.IntegerField(read_only=True)
    partner_account = serializers.StringRelatedField()
    probability = serializers.IntegerField(read_only=True)
    flame = serializers.SerializerMethodField()
    team_members = TeamMemberSerializer(many=True, read_only=True)
    solutions = SolutionSerializer(many=True, read_only=True)

    class Meta:
        model = Referral
        fields = [
            "id", "referral_type", "direction", "deal_type", "status", "partner_account", "location", "location_id",
            "customer_name", "customer_duns", "customer_city", "customer_country", "need", "contact_name",
            "contact_phone", "contact_email", "name", "estimated_value", "currency", "estimated_close_date",
            "notes", "crm_id", "campaign_id", "sales_stage", "probability", "flame", "decline_reason",
            "lost_reason", "received_at", "accepted_at", "closed_at", "team_members", "solutions", "version",
        ]
        read_only_fields = fields

    def get_flame(self, obj) -> str:
        return obj.flame()


class AcceptSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    estimated_value = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    estimated_close_date = serializers.DateField()
    notes = serializers.CharField(max_length=MAX_TEXT)
    crm_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    campaign_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    team_members = TeamMemberSerializer(many=True, required=False, default=list)


class DeclineSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Referral.DeclineReason.choices)
    notes = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")


class StageSerializer(serializers.Serializer):
    stage = serializers.CharField(
        max_length=60,
        help_text="A stage key or name: " + ", ".join(
            f"{s.value} / {s.label} ({SALES_STAGE_PERCENT[s]} %)" for s in SalesStage),
    )


class LostSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class OutboundSerializer(serializers.Serializer):
    location_id = serializers.IntegerField(min_value=1, max_value=2**62)
    customer_name = serializers.CharField(max_length=200)
    customer_duns = serializers.RegexField(r"^\d{9}$", required=False, allow_blank=True, default="")
    customer_city = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    customer_country = serializers.CharField(max_length=2, required=False, allow_blank=True, default="")
    contact_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    contact_phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    contact_email = serializers.EmailField(required=False, allow_blank=True, default="")
    contact_notes = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")
    contact_consent = serializers.BooleanField(required=False, default=False)
    name = serializers.CharField(max_length=200)
    estimated_value = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    estimated_close_date = serializers.DateField()
    notes = serializers.CharField(max_length=MAX_TEXT)
    crm_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    campaign_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    team_members = TeamMemberSerializer(many=True, min_length=1)
    solutions = SolutionSerializer(many=True, min_length=1)
    consent = serializers.BooleanField()


ERROR = inline_serializer("ReferralError", {"detail": serializers.CharField(), "code": serializers.CharField()})


def _error_response(exc: InvalidTransition):
    code = {"validation": status.HTTP_400_BAD_REQUEST, "forbidden": status.HTTP_403_FORBIDDEN}.get(
        exc.code, status.HTTP_409_CONFLICT)
    return Response({"detail": exc.message, "code": exc.code}, status=code)


class ReferralViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Referrals visible to the signed-in user: a partner's own, scoped by location like the pages."""

    serializer_class = ReferralSerializer
    queryset = Referral.objects.none()

    def get_queryset(self):
        p = {k: v.replace("\x00", "") for k, v in self.request.query_params.items()}
        qs = referral_list_for_tab(
            user=self.request.user, tab=p.get("tab", "")[:20], deal_type=p.get("deal_type", "")[:30],
            status=p.get("status", "")[:20], q=p.get("q", "")[:100],
        )
        location = p.get("location", "")
        if location.isdigit() and len(location) < 18:
            qs = qs.filter(location_id=int(location))
        direction = p.get("direction", "")
        if direction:
            qs = qs.filter(direction=direction[:10])
        return qs.prefetch_related("team_members", "solutions")

    def get_object(self):
        try:
            pk = int(self.kwargs["pk"])
        except (TypeError, ValueError):
            raise NotFound("No such referral.")
        if not (0 < pk < 2**62):
            raise NotFound("No such referral.")
        try:
            return referral_get_for_user(user=self.request.user, pk=pk)
        except Http404:
            raise NotFound("No such referral.")

    def handle_exception(self, exc):
        if isinstance(exc, StaleVersion):  # If-Match named a version the referral has moved on from
            return stale_response(exc)
        if isinstance(exc, InvalidTransition):
            return _error_response(exc)
        return super().handle_exception(exc)

    def _done(self, referral, code=status.HTTP_200_OK):
        referral = referral_get_for_user(user=self.request.user, pk=referral.pk)
        return with_etag(Response(ReferralSerializer(referral).data, status=code), referral)

    def retrieve(self, request, *args, **kwargs):
        """One referral; its ETag is the referral's version: send it back as If-Match with a change, and a
        change made since answers 412 with what changed."""
        referral = self.get_object()
        return with_etag(Response(ReferralSerializer(referral).data), referral)

    @extend_schema(
        parameters=[
            OpenApiParameter("tab", OpenApiTypes.STR, enum=["marketplace", "qualified", "favorites", "outbound",
                                                            "closed"]),
            OpenApiParameter("deal_type", OpenApiTypes.STR, enum=Referral.DealType.values),
            OpenApiParameter("status", OpenApiTypes.STR, enum=Referral.Status.values),
            OpenApiParameter("direction", OpenApiTypes.STR, enum=Referral.Direction.values),
            OpenApiParameter("location", OpenApiTypes.INT),
            OpenApiParameter("q", OpenApiTypes.STR),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=OutboundSerializer, responses={201: ReferralSerializer, 400: ERROR, 403: ERROR})
    def create(self, request):
        """Create an outbound co-sell deal (starts in Accepted)."""
        ser = OutboundSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = dict(ser.validated_data)
        location = PartnerLocation.objects.filter(pk=d.pop("location_id"),
                                                  partner_account_id=request.user.partner_account_id).first()
        if location is None:
            raise InvalidTransition(_("Choose one of your partner's locations."), code="validation")
        referral = services.referral_create_outbound(actor=request.user, location=location, **d)
        return self._done(referral, status.HTTP_201_CREATED)

    @extend_schema(request=AcceptSerializer, responses={200: ReferralSerializer, 400: ERROR, 409: ERROR})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        referral = self.get_object()
        ser = AcceptSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        return self._done(services.referral_accept(actor=request.user, referral=referral,
                                                   expected_version=if_match_version(request, referral),
                                                   **ser.validated_data))

    @extend_schema(request=DeclineSerializer, responses={200: ReferralSerializer, 400: ERROR, 409: ERROR})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        referral = self.get_object()
        ser = DeclineSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        return self._done(services.referral_decline(actor=request.user, referral=referral,
                                                    expected_version=if_match_version(request, referral),
                                                    **ser.validated_data))

    @extend_schema(request=StageSerializer, responses={200: ReferralSerializer, 400: ERROR, 409: ERROR})
    @action(detail=True, methods=["post"])
    def stage(self, request, pk=None):
        """Mark the next sales stage done; stage names map to the standard percentages."""
        referral = self.get_object()
        ser = StageSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        return self._done(services.referral_stage_mark(actor=request.user, referral=referral,
                                                       stage=ser.validated_data["stage"],
                                                       expected_version=if_match_version(request, referral)))

    @extend_schema(request=None, responses={200: ReferralSerializer, 409: ERROR})
    @action(detail=True, methods=["post"])
    def won(self, request, pk=None):
        referral = self.get_object()
        return self._done(services.referral_win(actor=request.user, referral=referral,
                                                expected_version=if_match_version(request, referral)))

    @extend_schema(request=LostSerializer, responses={200: ReferralSerializer, 400: ERROR, 409: ERROR})
    @action(detail=True, methods=["post"])
    def lost(self, request, pk=None):
        referral = self.get_object()
        ser = LostSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        return self._done(services.referral_lose(actor=request.user, referral=referral,
                                                 reason=ser.validated_data["reason"],
                                                 expected_version=if_match_version(request, referral)))
