from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from .selectors import activity_list_for  # noqa: F401  (re-exported for app views)


@require_GET
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
