"""REST API for referrals (E12): the same selectors and services as the pages.

Another partner's referral answers 404; a change the referral's state does not allow answers 409; bad input 400
(prm_portal.core.api's one error body). Lists are ordered by `updated_at`, then `id`, and take declared filters
(a bad value is 400): `updated_after` lets an integration fetch what changed since its last sync. Details and
changes carry the referral's version as ETag; a change sent with a stale If-Match is 412.
"""

import django_filters
from django.db.models import Q
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from accounts import access
from accounts.models import PartnerLocation
from prm_portal.core.api import NO_NUL, changed_since_filter, id_filter
from prm_portal.core.errors import InvalidTransition
from prm_portal.core.versioning import if_match_version, with_etag

from . import services
from .models import SALES_STAGE_PERCENT, WORK_STAGES, Referral, Solution
from .selectors import TABS, referral_get_for_user, referral_list_for_tab, referral_list_visible_to

MAX_TEXT = 5000
MAX_MEMBERS = 20
MAX_SOLUTIONS = 20
COUNTRY_PATTERN = r"^[A-Za-z]{2}$"
DECIMAL_PATTERN = r"^\d{1,12}(\.\d{1,2})?$"


# --- what the API answers -----------------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "format": "email", "nullable": True})
class EmailOrNullField(serializers.ReadOnlyField):
    """An email as read: null when there is none (never an empty string against `format: email`)."""

    def to_representation(self, value):
        return value or None


class TeamMemberSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    phone = serializers.CharField(read_only=True)
    email = EmailOrNullField()


class SolutionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Solution.Kind.choices, read_only=True)
    name = serializers.CharField(read_only=True)
    assessment_type = serializers.ChoiceField(choices=Solution.AssessmentType.choices, allow_blank=True,
                                              read_only=True)


class ReferralSerializer(serializers.ModelSerializer):
    location = serializers.StringRelatedField()
    location_id = serializers.IntegerField(read_only=True)
    partner_account = serializers.StringRelatedField()
    deal_type = serializers.ChoiceField(choices=Referral.DealType.choices, allow_blank=True, read_only=True,
                                        help_text="Empty until the deal has one.")
    decline_reason = serializers.ChoiceField(choices=Referral.DeclineReason.choices, allow_blank=True,
                                             read_only=True)
    contact_email = EmailOrNullField()
    probability = serializers.IntegerField(read_only=True)
    flame = serializers.SerializerMethodField(help_text="hot: the customer asked to be contacted in the last 72 "
                                                        "hours; later: before that; empty: they did not ask.")
    team_members = TeamMemberSerializer(many=True, read_only=True)
    solutions = SolutionSerializer(many=True, read_only=True)

    class Meta:
        model = Referral
        fields = [
            "id", "referral_type", "direction", "deal_type", "status", "partner_account", "location", "location_id",
            "customer_name", "customer_duns", "customer_city", "customer_country", "need", "contact_name",
            "contact_phone", "contact_email", "name", "estimated_value", "currency", "estimated_close_date",
            "notes", "crm_id", "campaign_id", "sales_stage", "probability", "flame", "decline_reason",
            "lost_reason", "received_at", "accepted_at", "closed_at", "updated_at", "team_members", "solutions",
            "version",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "enum": ["", "hot", "later"]})
    def get_flame(self, obj) -> str:
        return obj.flame()


# --- what the API takes -------------------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "format": "decimal", "pattern": DECIMAL_PATTERN, "example": "5000.00"})
class AmountField(serializers.DecimalField):
    """A positive amount as a decimal string (at most 12 digits before the point, 2 after)."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=14, decimal_places=2, min_value=0, **kwargs)


@extend_schema_field({"type": "boolean", "enum": [True]})
class ConsentField(serializers.BooleanField):
    """Must be true: the partner confirms the customer agreed."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not value:
            raise serializers.ValidationError(_("Confirm the consent to create the deal."))
        return value


class TeamMemberInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")


class OutboundTeamMemberSerializer(serializers.Serializer):
    """A member of an outbound deal's team: name, phone and email, all three."""

    name = serializers.CharField(max_length=200)
    phone = serializers.CharField(max_length=40)
    email = serializers.EmailField()


class AcceptSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    estimated_value = AmountField()
    estimated_close_date = serializers.DateField()
    notes = serializers.CharField(max_length=MAX_TEXT)
    crm_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    campaign_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    team_members = serializers.ListField(child=TeamMemberInputSerializer(), required=False, default=list,
                                         max_length=MAX_MEMBERS)


class DeclineSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Referral.DeclineReason.choices)
    notes = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")


def _stage_inputs():
    """The work stages by key and by English name: what `stage` takes (in any case)."""
    with translation.override("en"):
        names = [str(stage.label) for stage in WORK_STAGES]
    return [stage.value for stage in WORK_STAGES] + names


class StageField(serializers.ChoiceField):
    """A work stage's key or English name, in any case; the schema lists them as written."""

    def to_internal_value(self, data):
        text = str(data).strip().lower() if isinstance(data, str) else data
        for choice in self.choices:
            if isinstance(text, str) and choice.lower() == text:
                return super().to_internal_value(choice)
        return super().to_internal_value(data)


class StageSerializer(serializers.Serializer):
    stage = StageField(
        choices=_stage_inputs(),
        help_text="The next work stage, by key or name: " + ", ".join(
            f"{s.value} ({SALES_STAGE_PERCENT[s]} %)" for s in WORK_STAGES),
    )


class LostSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


_ASSESSMENT = {
    "type": "object",
    "properties": {
        "kind": {"type": "string", "enum": [Solution.Kind.SOLUTION_ASSESSMENT.value]},
        "assessment_type": {"type": "string", "enum": list(Solution.AssessmentType.values)},
    },
    "required": ["kind", "assessment_type"],
}
_PRODUCT = {
    "type": "object",
    "properties": {
        "kind": {"type": "string", "enum": [Solution.Kind.PRODUCT.value]},
        "name": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"^[^\u0000]*[^\s\u0000][^\u0000]*$"},
    },
    "required": ["kind", "name"],
}


class AssessmentInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[Solution.Kind.SOLUTION_ASSESSMENT.value])
    assessment_type = serializers.ChoiceField(choices=Solution.AssessmentType.choices)


class ProductInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[Solution.Kind.PRODUCT.value])
    name = serializers.CharField(max_length=200)


@extend_schema_field({
    "description": "One solution assessment alone, or one or more products and services.",
    "oneOf": [
        {"type": "array", "items": _ASSESSMENT, "minItems": 1, "maxItems": 1},
        {"type": "array", "items": _PRODUCT, "minItems": 1, "maxItems": MAX_SOLUTIONS},
    ],
})
class SolutionsField(serializers.ListField):
    """An outbound deal's solutions: exactly one solution assessment, or products only."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.DictField(), min_length=1, max_length=MAX_SOLUTIONS, **kwargs)

    def to_internal_value(self, data):
        items = super().to_internal_value(data)
        if any(item.get("kind") == Solution.Kind.SOLUTION_ASSESSMENT for item in items):
            if len(items) != 1:
                raise serializers.ValidationError(
                    _("A solution assessment deal takes exactly one assessment and no other solution."))
            child = AssessmentInputSerializer
        else:
            child = ProductInputSerializer
        out = []
        for item in items:
            ser = child(data=item)
            if not ser.is_valid():
                raise serializers.ValidationError(ser.errors)
            out.append({"name": "", "assessment_type": "", **ser.validated_data})
        return out


class OutboundSerializer(serializers.Serializer):
    location_id = serializers.IntegerField(min_value=1, max_value=2**62,
                                           help_text="One of the caller's partner's locations.")
    customer_name = serializers.CharField(max_length=200)
    customer_duns = serializers.RegexField(r"^\d{9}$", required=False, allow_blank=True, default="")
    customer_city = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    customer_country = serializers.RegexField(COUNTRY_PATTERN, required=False, allow_blank=True, default="")
    # The customer's main contact is mandatory, as on the New deal form (seed 004).
    contact_name = serializers.CharField(max_length=200)
    contact_phone = serializers.CharField(max_length=40)
    contact_email = serializers.EmailField()
    contact_notes = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")
    contact_consent = serializers.BooleanField(required=False, default=False)
    name = serializers.CharField(max_length=200)
    estimated_value = AmountField()
    estimated_close_date = serializers.DateField()
    notes = serializers.CharField(max_length=MAX_TEXT)
    crm_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    campaign_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    team_members = serializers.ListField(child=OutboundTeamMemberSerializer(), min_length=1, max_length=MAX_MEMBERS)
    solutions = SolutionsField()
    consent = ConsentField()


# --- list filters -------------------------------------------------------------------------------------------------


class ReferralFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Referral.Status.choices)
    direction = django_filters.ChoiceFilter(choices=Referral.Direction.choices)
    type = django_filters.ChoiceFilter(field_name="referral_type", choices=Referral.Type.choices)
    deal_type = django_filters.ChoiceFilter(choices=Referral.DealType.choices)
    location = id_filter("location_id", "Referrals of this partner location.")
    updated_after = changed_since_filter("updated_at", "Referrals changed at or after this moment: pass the last "
                                                       "`updated_at` seen to sync (that referral comes again).")
    tab = django_filters.ChoiceFilter(choices=[(tab, tab) for tab in TABS], method="filter_tab",
                                      help_text="One tab of the Referrals page.")
    q = extend_schema_field({"type": "string", "maxLength": 100, "pattern": NO_NUL,
                             "description": "Customer or deal name contains."})(
        django_filters.CharFilter(method="filter_q", max_length=100))

    class Meta:
        model = Referral
        fields = ["status", "direction", "type", "deal_type", "location", "updated_after", "tab", "q"]

    def filter_tab(self, queryset, name, value):
        return queryset.filter(pk__in=referral_list_for_tab(user=self.request.user, tab=value).values("pk"))

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(customer_name__icontains=value) | Q(name__icontains=value))


# --- the endpoints ------------------------------------------------------------------------------------------------

WRITE_ACTIONS = {"accept", "decline", "stage", "won", "lost", "partial_update", "update"}


class ReferralViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Referrals visible to the signed-in user: a partner's own, scoped by location like the pages."""

    serializer_class = ReferralSerializer
    queryset = Referral.objects.none()
    filterset_class = ReferralFilter

    def get_queryset(self):
        if self.action == "list":  # an overdue referral is expired before anyone reads it (one is, by get_object)
            services.referrals_expire_overdue_among(referral_list_visible_to(user=self.request.user))
        return (referral_list_visible_to(user=self.request.user)
                .prefetch_related("team_members", "solutions").order_by("updated_at", "id"))

    def get_object(self):
        try:
            referral = referral_get_for_user(user=self.request.user, pk=int(self.kwargs["pk"]))
        except (Http404, TypeError, ValueError, OverflowError):
            raise NotFound()
        if self.action in WRITE_ACTIONS and not access.referral_can_change(self.request.user, referral):
            # Seen through a share (read-only, whatever the access): refused before any input is read.
            raise PermissionDenied(_("Only the partner's own people can work on this referral."))
        return referral

    def _done(self, referral, code=status.HTTP_200_OK):
        referral = referral_get_for_user(user=self.request.user, pk=referral.pk)
        return with_etag(Response(ReferralSerializer(referral).data, status=code), referral)

    def list(self, request, *args, **kwargs):
        """The referrals the caller may see, oldest change first (`updated_at`, then `id`)."""
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        """One referral; its ETag is the referral's version: send it back as If-Match with a change, and a
        change made since answers 412 with what changed."""
        referral = self.get_object()
        return with_etag(Response(ReferralSerializer(referral).data), referral)

    @extend_schema(request=OutboundSerializer, responses={201: ReferralSerializer})
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

    @extend_schema(request=AcceptSerializer, responses={200: ReferralSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Accept a received referral with the deal's name, value, close date and notes."""
        referral = self.get_object()
        ser = AcceptSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        return self._done(services.referral_accept(actor=request.user, referral=referral,
                                                   expected_version=if_match_version(request, referral),
                                                   **ser.validated_data))

    @extend_schema(request=DeclineSerializer, responses={200: ReferralSerializer})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """Decline a received referral with a reason."""
        referral = self.get_object()
        ser = DeclineSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        return self._done(services.referral_decline(actor=request.user, referral=referral,
                                                    expected_version=if_match_version(request, referral),
                                                    **ser.validated_data))

    @extend_schema(request=StageSerializer, responses={200: ReferralSerializer})
    @action(detail=True, methods=["post"])
    def stage(self, request, pk=None):
        """Mark the next sales stage done; stage names map to the standard percentages."""
        referral = self.get_object()
        ser = StageSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        return self._done(services.referral_stage_mark(actor=request.user, referral=referral,
                                                       stage=ser.validated_data["stage"],
                                                       expected_version=if_match_version(request, referral)))

    @extend_schema(request=None, responses={200: ReferralSerializer})
    @action(detail=True, methods=["post"])
    def won(self, request, pk=None):
        """Close an accepted deal as won (a solution assessment needs every work stage marked first)."""
        referral = self.get_object()
        return self._done(services.referral_win(actor=request.user, referral=referral,
                                                expected_version=if_match_version(request, referral)))

    @extend_schema(request=LostSerializer, responses={200: ReferralSerializer})
    @action(detail=True, methods=["post"])
    def lost(self, request, pk=None):
        """Close an accepted deal as lost, with the reason."""
        referral = self.get_object()
        ser = LostSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        return self._done(services.referral_lose(actor=request.user, referral=referral,
                                                 reason=ser.validated_data["reason"],
                                                 expected_version=if_match_version(request, referral)))
