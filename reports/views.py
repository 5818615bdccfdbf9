"""Home (every login lands here, B4) and its dashboards' CSV exports (D3)."""

import csv

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from prm_portal.core.csvutil import csv_row

from . import dashboards


@login_required
def home(request):
    """The page every login lands on (B4), with the dashboard of the user's scope (D3)."""
    return render(request, "reports/home.html", {"dash": dashboards.dashboard_build(user=request.user)})


@login_required
@require_GET
def dashboard_export(request, chart):
    """One Home chart's numbers as CSV."""
    if chart not in dashboards.CHARTS:
        raise Http404("No such chart.")
    dashboard = dashboards.dashboard_build(user=request.user)
    header, rows = dashboards.dashboard_csv_rows(dashboard=dashboard, chart=chart)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="dashboard-{chart}.csv"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(csv_row(r) for r in rows)
    return response
