"""REST API for leads (C12): list and read what the caller may see, create (routed at once), update, accept.

Scoping is the portal's: another partner's lead answers 404. Lists are ordered by `updated_at`, then `id`, and take
declared filters (a bad value is 400, never ignored): `updated_after` lets an integration fetch what changed since
its last sync. Details and changes carry the lead's version as ETag; a change sent with a stale If-Match is 412.
Errors are prm_portal.core.api's one body. Mounted at /api/leads/.
"""

import django_filters
from django.core.validators import RegexValidator
from django.http import Http404
from django.urls import include, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from prm_portal.core.api import changed_since_filter, id_filter
from prm_portal.core.versioning import if_match_version, with_etag

from . import permissions, services
from .forms import LEAD_FIELDS
from .models import Lead
from .selectors import lead_get_for_user, lead_list_visible_to

COUNTRY = RegexValidator(r"^[A-Za-z]{2}$", message=gettext_lazy("Enter a two-letter country code, e.g. CZ."))
EDITABLE_STATUSES = [choice for choice in Lead.Status.choices if choice[0] != Lead.Status.CONVERTED]


@extend_schema_field({"type": "string", "format": "email", "nullable": True})
class EmailOrNullField(serializers.ReadOnlyField):
    """A lead's email as read: null when there is none (never an empty string against `format: email`)."""

    def to_representation(self, value):
        return value or None


class LeadSerializer(serializers.ModelSerializer):
    email = EmailOrNullField()
    company_size = serializers.ChoiceField(choices=Lead.CompanySize.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Lead
        fields = ["id", *LEAD_FIELDS, "status", "owner", "queue", "partner_account", "claimed_at", "created_at",
                  "updated_at", "version"]
        read_only_fields = fields


class LeadCreateSerializer(serializers.ModelSerializer):
    country = serializers.CharField(max_length=2, required=False, allow_blank=True, validators=[COUNTRY])

    class Meta:
        model = Lead
        fields = LEAD_FIELDS

    def validate_country(self, value):
        return value.upper()


class LeadUpdateSerializer(LeadCreateSerializer):
    status = serializers.ChoiceField(choices=EDITABLE_STATUSES, required=False,
                                     help_text="Converted is reached by converting the lead in the portal.")

    class Meta:
        model = Lead
        fields = [*LEAD_FIELDS, "status"]


class LeadFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Lead.Status.choices)
    queue = id_filter("queue_id", "Leads waiting in this queue.")
    owner = id_filter("owner_id", "Leads this user owns.")
    country = extend_schema_field({"type": "string", "pattern": "^[A-Za-z]{2}$",
                                   "description": "Two-letter country code (any case)."})(
        django_filters.CharFilter(field_name="country", lookup_expr="iexact", validators=[COUNTRY]))
    updated_after = changed_since_filter("updated_at", "Leads changed at or after this moment: pass the last "
                                                       "`updated_at` seen to sync (that lead comes again).")
    created_after = changed_since_filter("created_at", "Leads created at or after this moment.")

    class Meta:
        model = Lead
        fields = ["status", "queue", "owner", "country", "updated_after", "created_after"]


class LeadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = LeadSerializer
    queryset = Lead.objects.none()
    filterset_class = LeadFilter

    def get_queryset(self):
        return lead_list_visible_to(user=self.request.user).order_by("updated_at", "id")

    def get_object(self):
        return lead_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def list(self, request, *args, **kwargs):
        """The leads the caller may see, oldest change first (`updated_at`, then `id`)."""
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, pk=None):
        """One lead; its ETag is the lead's version, to send back as If-Match with a change."""
        lead = self.get_object()
        return with_etag(Response(LeadSerializer(lead).data), lead)

    @extend_schema(request=LeadCreateSerializer, responses={201: LeadSerializer})
    def create(self, request):
        """Create a lead (vendor staff); the assignment rules route it before this answers."""
        if not permissions.can_manage(request.user):
            raise PermissionDenied(_("Only vendor staff create leads through the API."))
        data = LeadCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lead = services.lead_create(actor=request.user, channel="api", **data.validated_data)
        return with_etag(Response(LeadSerializer(lead).data, status=status.HTTP_201_CREATED), lead)

    @extend_schema(request=LeadUpdateSerializer, responses={200: LeadSerializer})
    def partial_update(self, request, pk=None):
        """Change some of a lead's fields or its status; with If-Match, only while the lead is at that version."""
        lead = self.get_object()
        if not permissions.can_edit(request.user, lead):
            raise PermissionDenied(_("You cannot edit this lead."))
        data = LeadUpdateSerializer(instance=lead, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        lead = services.lead_update(actor=request.user, lead=lead, expected_version=if_match_version(request, lead),
                                    **data.validated_data)
        return with_etag(Response(LeadSerializer(lead).data), lead)

    @extend_schema(request=None, responses={200: LeadSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Claim a queue lead (C3): 409 with the reason when another partner was first or a limit is reached."""
        try:
            lead = services.lead_claim(actor=request.user, lead_id=int(pk), expected_version=if_match_version(request))
        except (Lead.DoesNotExist, ValueError, OverflowError):
            raise Http404
        return with_etag(Response(LeadSerializer(lead).data), lead)


router = SimpleRouter()
router.register("", LeadViewSet, basename="lead")

app_name = "leads_api"
urlpatterns = [path("", include(router.urls))]
