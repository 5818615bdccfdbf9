"""REST API for leads (C12): list and read what the caller may see, create (routed at once), update, accept.

Scoping is the portal's: another partner's lead answers 404. Mounted at /api/leads/.
"""

from django.http import Http404
from django.urls import include, path
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from prm_portal.core.errors import InvalidTransition
from prm_portal.core.versioning import StaleVersion, if_match_version, stale_response, with_etag

from . import permissions, services
from .forms import LEAD_FIELDS
from .models import Lead
from .selectors import lead_get_for_user, lead_list_visible_to


class LeadSerializer(serializers.ModelSerializer):
    class Meta:
        model = Lead
        fields = ["id", *LEAD_FIELDS, "status", "owner", "queue", "partner_account", "claimed_at", "created_at",
                  "updated_at", "version"]
        read_only_fields = ["id", "owner", "queue", "partner_account", "claimed_at", "created_at", "updated_at",
                            "version"]


class LeadCreateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Lead
        fields = LEAD_FIELDS


class LeadUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Lead
        fields = [*LEAD_FIELDS, "status"]


class LeadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = LeadSerializer
    queryset = Lead.objects.none()

    def get_queryset(self):
        return lead_list_visible_to(user=self.request.user)

    def get_object(self):
        return lead_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def retrieve(self, request, pk=None):
        """One lead; its ETag is the lead's version, to send back as If-Match with a change."""
        lead = self.get_object()
        return with_etag(Response(LeadSerializer(lead).data), lead)

    @extend_schema(request=LeadCreateSerializer, responses={201: LeadSerializer})
    def create(self, request):
        """Create a lead; the assignment rules route it before this answers."""
        if not permissions.can_manage(request.user):
            raise PermissionDenied("Only vendor staff create leads through the API.")
        data = LeadCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lead = services.lead_create(actor=request.user, channel="api", **data.validated_data)
        return with_etag(Response(LeadSerializer(lead).data, status=status.HTTP_201_CREATED), lead)

    @extend_schema(request=LeadUpdateSerializer, responses={200: LeadSerializer})
    def partial_update(self, request, pk=None):
        lead = self.get_object()
        if not permissions.can_edit(request.user, lead):
            raise PermissionDenied("You cannot edit this lead.")
        data = LeadUpdateSerializer(instance=lead, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        try:
            lead = services.lead_update(actor=request.user, lead=lead,
                                        expected_version=if_match_version(request, lead), **data.validated_data)
        except StaleVersion as exc:  # If-Match named a version the lead has moved on from: 412
            return stale_response(exc)
        except InvalidTransition as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return with_etag(Response(LeadSerializer(lead).data), lead)

    @extend_schema(request=None, responses={200: LeadSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Claim a queue lead (C3): 409 with the reason when another partner was first or a limit is reached."""
        try:
            lead = services.lead_claim(actor=request.user, lead_id=int(pk), expected_version=if_match_version(request))
        except (Lead.DoesNotExist, ValueError):
            raise Http404
        except StaleVersion as exc:
            return stale_response(exc)
        except InvalidTransition as exc:
            return Response({"detail": str(exc), "code": exc.code}, status=status.HTTP_409_CONFLICT)
        return with_etag(Response(LeadSerializer(lead).data), lead)


router = SimpleRouter()
router.register("", LeadViewSet, basename="lead")

app_name = "leads_api"
urlpatterns = [path("", include(router.urls))]
