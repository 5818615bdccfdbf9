"""The portal's gates for the API: the same rules the pages follow (access.gate_for), for session and token
clients alike. A token does not skip a forced password change, nor PRM being off for partners."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.permissions import BasePermission

from . import access


class PortalNotEnabled(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("The partner portal is not enabled yet.")
    default_code = "prm_not_enabled"


class PortalGate(BasePermission):
    def has_permission(self, request, view):
        gate = access.gate_for(request.user)
        if gate == access.GATE_PASSWORD:
            raise PermissionDenied(_("Change your temporary password in the portal before using the API."),
                                   code="password_change_required")
        if gate == access.GATE_PRM_OFF:
            raise PortalNotEnabled()
        return True
