from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .selectors import activity_list_for  # noqa: F401  (re-exported for app views)


@login_required
def home(request):
    """The page every login lands on (B4), with the dashboard of the user's scope (D3)."""
    from opportunities.dashboards import dashboard_build

    return render(request, "core/home.html", {"dash": dashboard_build(user=request.user)})


@require_GET
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
