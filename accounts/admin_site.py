"""The portal's Django admin site: a surface like any other, scoped and audited (trust core).

- Who may enter the admin, and what each person may do on each model's screens, is the access policy's answer
  (`accounts.access.admin_site_can_enter`, `admin_model_rights`). A ModelAdmin that does not declare itself a
  `PortalModelAdmin` (django.contrib.auth's groups, django-celery-beat's schedules, guardian's...) is wrapped on
  registration so that only vendor admins reach it, whatever Django permissions a channel manager was given.
- A `PortalModelAdmin` lists the rows of the person's scope, answers 404 for any other row, limits every foreign key
  choice to what the person may pick, and turns a service's refusal into a message where the person is.
- Signing in to the admin goes through the portal's sign-in page (django-allauth), which limits failed attempts
  (ACCOUNT_RATE_LIMITS); a signed-in person who may not use the admin is refused (403), never sent round in a loop.

Core knows no app: the access policy is looked up when a request asks, as the portal's middleware does.
"""

from functools import update_wrapper
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from prm_portal.core.errors import InvalidTransition


def _access():
    from . import access

    return access


class PortalAdminConfig(AdminConfig):
    """django.contrib.admin with the portal's site as `admin.site` (listed in INSTALLED_APPS instead of it)."""

    default_site = "accounts.admin_site.PortalAdminSite"


class PortalModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose rights come from the access policy, not from Django's model permissions.

    Subclasses scope `get_queryset` with the access policy's visibility for their model and answer
    `object_allowed` with its `<entity>_can_<verb>` for one row.
    """

    def _rights(self, request):
        cache = request.__dict__.setdefault("_portal_admin_rights", {})
        label = self.model._meta.label_lower
        if label not in cache:
            cache[label] = _access().admin_model_rights(request.user, self.model)
        return cache[label]

    def object_allowed(self, request, obj, action) -> bool:
        """May the person `action` ("view", "change", "delete") this row, which is already in their scope."""
        return True

    def has_module_permission(self, request):
        return bool(self._rights(request))

    def has_view_permission(self, request, obj=None):
        rights = self._rights(request)
        if not ({"view", "change"} & rights):
            return False
        return obj is None or self.object_allowed(request, obj, "view")

    def has_add_permission(self, request):
        return "add" in self._rights(request)

    def has_change_permission(self, request, obj=None):
        if "change" not in self._rights(request):
            return False
        return obj is None or self.object_allowed(request, obj, "change")

    def has_delete_permission(self, request, obj=None):
        if "delete" not in self._rights(request):
            return False
        return obj is None or self.object_allowed(request, obj, "delete")

    def get_object(self, request, object_id, from_field=None):
        """A row outside the person's scope does not exist for them: 404, like every other surface."""
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj

    def _limit_choices(self, db_field, request, kwargs):
        model = db_field.remote_field.model
        queryset = kwargs.get("queryset")
        if queryset is None:
            queryset = model._default_manager.all()
        kwargs["queryset"] = queryset.filter(_access().pickable_q(request.user, model))
        return kwargs

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(db_field, request, **self._limit_choices(db_field, request, kwargs))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return super().formfield_for_manytomany(db_field, request, **self._limit_choices(db_field, request, kwargs))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A service refusing the save (a state the form could not know of) leaves everything as it was and says
        why on the same page."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except InvalidTransition as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class PortalInlineMixin:
    """An inline's rights and choices, from the access policy like its parent's (mix in before the inline class)."""

    _rights = PortalModelAdmin._rights
    _limit_choices = PortalModelAdmin._limit_choices

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(db_field, request, **self._limit_choices(db_field, request, kwargs))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return super().formfield_for_manytomany(db_field, request, **self._limit_choices(db_field, request, kwargs))

    def has_view_permission(self, request, obj=None):
        return bool({"view", "change"} & self._rights(request))

    def has_add_permission(self, request, obj=None):
        return "add" in self._rights(request)

    def has_change_permission(self, request, obj=None):
        return "change" in self._rights(request)

    def has_delete_permission(self, request, obj=None):
        return "delete" in self._rights(request)


class VendorAdminOnlyMixin:
    """Put in front of a ModelAdmin that declares no policy: vendor admins only, and then its own checks."""

    def _vendor_admin(self, request):
        return _access().user_can_administer_staff(request.user) and _access().admin_site_can_enter(request.user)

    def has_module_permission(self, request):
        return self._vendor_admin(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._vendor_admin(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return self._vendor_admin(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return self._vendor_admin(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._vendor_admin(request) and super().has_delete_permission(request, obj)


class PortalAdminSite(admin.AdminSite):
    def has_permission(self, request):
        return _access().admin_site_can_enter(request.user)

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, PortalModelAdmin):
            admin_class = type(admin_class.__name__, (VendorAdminOnlyMixin, admin_class),
                               {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__})
        return super().register(model_or_iterable, admin_class, **options)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def guarded(request, *args, **kwargs):
            if (request.user.is_authenticated and not self.has_permission(request)
                    and request.path != reverse("admin:logout", current_app=self.name)):
                raise PermissionDenied
            return inner(request, *args, **kwargs)

        return update_wrapper(guarded, inner)

    def password_change(self, request, extra_context=None):
        """One's own password changes on the portal's page, through the service that records it."""
        return HttpResponseRedirect(reverse("account_change_password"))

    def password_change_done(self, request, extra_context=None):
        return HttpResponseRedirect(reverse("account_change_password"))

    @method_decorator(never_cache)
    def login(self, request, extra_context=None):
        """The admin signs people in on the portal's sign-in page, whose failed attempts are rate-limited; the
        admin's own form would let anyone try passwords without limit."""
        next_url = request.GET.get(REDIRECT_FIELD_NAME) or request.POST.get(REDIRECT_FIELD_NAME) or ""
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
            next_url = reverse("admin:index", current_app=self.name)
        if request.user.is_authenticated:
            if not self.has_permission(request):
                raise PermissionDenied
            return HttpResponseRedirect(next_url)
        return HttpResponseRedirect(f"{reverse('account_login')}?{urlencode({REDIRECT_FIELD_NAME: next_url})}")
