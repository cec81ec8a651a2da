"""What the pages' views share: the rate-limited POST, the safe `next`, the search rule, lists
paged without a total, and a poll by its public id or a 404."""

import math

from django.contrib import messages
from django.core.paginator import InvalidPage
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import generic

from ..models import Poll
from ..paginators import UncountedPaginator
from ..search import SearchTextRefused, search_text
from ..services import limits


class RateLimitedPostMixin:
    """A page form counted against the same limits (scopes, rates and counts) as its API
    twin. The view calls `refused()` in post(), before any work, so only POSTs count."""

    post_limits: tuple = ()

    def refused(self, *, post_limits: tuple | None = None, email: str | None = None):
        """The friendly 429 page when this POST is over a limit, else None. `post_limits` and
        `email` stand in for the view's limits and the posted address."""
        wait = limits.limits_wait(
            limits=self.post_limits if post_limits is None else post_limits,
            user=self.request.user,
            address=limits.client_address(meta=self.request.META),
            email=self.request.POST.get("email", "") if email is None else email,
        )
        if wait is None:
            return None
        seconds = max(1, math.ceil(wait))
        response = render(
            self.request, "429.html", {"minutes": math.ceil(seconds / 60)}, status=429
        )
        response["Retry-After"] = str(seconds)
        return response


def _safe_next(request, fallback: str) -> str:
    """Where to go back to after signing up or in: `next` if it is on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _search(request, *, tell: bool) -> str:
    """The `q` parameter by the one search rule; "" (no search) when the rule refuses it, with
    the rule's words on the page when `tell`."""
    try:
        return search_text(request.GET.get("q", ""))
    except SearchTextRefused as refused:
        if tell:
            messages.error(request, f"Search: {refused.message}")
        return ""


class UncountedListView(generic.ListView):
    """A list paged newer/older without a total, so a page costs the same however many rows
    the list holds (polls.paginators.UncountedPaginator)."""

    paginator_class = UncountedPaginator

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size)
        try:
            page = paginator.page(self.request.GET.get(self.page_kwarg) or 1)
        except InvalidPage:
            raise Http404("There is no such page.") from None
        return paginator, page, page.object_list, page.has_other_pages()


def _poll_or_404(public_id: str, queryset=None) -> Poll:
    return get_object_or_404(Poll.objects if queryset is None else queryset, public_id=public_id)
