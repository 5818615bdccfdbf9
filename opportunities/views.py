from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from .selectors import opportunity_list_visible_to


@login_required
def opportunity_list(request):
    page = Paginator(opportunity_list_visible_to(user=request.user), 50).get_page(request.GET.get("page"))
    return render(request, "opportunities/opportunity_list.html", {"page": page})
