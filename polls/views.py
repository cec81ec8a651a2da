import math

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import InvalidPage
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import generic

from . import live, services
from .api.serializers import OptionLabelsSerializer, PollResultsSerializer
from .forms import PollForm
from .models import Option, Poll
from .paginators import UncountedPaginator
from .search import SearchTextRefused, search_text
from .services import limits

RECENTLY_CLOSED_SHOWN = 6


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


class PollListView(UncountedListView):
    """Home: open polls newest first, then the latest closed ones; `q` searches titles."""

    template_name = "polls/index.html"
    context_object_name = "polls"
    paginate_by = 10

    @cached_property
    def search(self) -> str:
        return _search(self.request, tell=True)

    def get_queryset(self):
        return Poll.objects.open().search(self.search).for_listing()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        closed = Poll.objects.search(self.search).for_listing().recently_closed()
        context["recently_closed"] = closed[:RECENTLY_CLOSED_SHOWN]
        context["query"] = self.search
        return context


def _poll_or_404(public_id: str, queryset=None) -> Poll:
    return get_object_or_404(Poll.objects if queryset is None else queryset, public_id=public_id)


class PollDetailView(generic.DetailView):
    """The poll's permalink. A slug after the id is decoration: only the id finds the poll."""

    template_name = "polls/detail.html"
    slug_field = slug_url_kwarg = "public_id"

    def get_queryset(self):
        return Poll.objects.with_results().with_choice_of(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        poll = self.object
        user = self.request.user
        voted_for = poll.choice_of_user()
        results = services.poll_results(poll=poll)
        is_open = poll.is_open()
        context.update(
            results=results,
            is_open=is_open,
            voted_for=next((o for o in results.options if o.id == voted_for), None),
            show_results=voted_for is not None or not is_open,
            is_author=user.is_authenticated and user.pk == poll.author_id,
            share_url=self.request.build_absolute_uri(poll.get_absolute_url()),
        )
        return context


class VoteView(RateLimitedPostMixin, generic.View):
    """POST only: cast the signed-in voter's ballot, then back to the poll (post/redirect/get)."""

    http_method_names = ["post"]
    post_limits = (limits.VOTES,)

    def post(self, request, public_id):
        poll_url = reverse("polls:detail", kwargs={"public_id": public_id})
        if not request.user.is_authenticated:
            _poll_or_404(public_id, Poll.objects.only("id"))
            messages.info(request, "Log in to vote; you will come back to this poll.")
            return redirect(f"{reverse('login')}?next={poll_url}")
        if refused := self.refused():
            return refused
        option_id = request.POST.get("option", "")
        if not option_id:
            _poll_or_404(public_id, Poll.objects.only("id"))
            messages.error(request, "Choose an option, then press Vote.")
            return redirect(poll_url)
        try:
            services.vote_cast(poll=public_id, voter=request.user, option_id=option_id)
        except services.PollNotFound:
            raise Http404("There is no poll with that address.") from None
        except services.VoteRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, "Your vote is counted. Thank you!")
        return redirect(poll_url)


def poll_results_json(request, public_id):
    """What the poll page polls every few seconds to show new votes without a reload. A poll
    unchanged since the ETag the browser sends answers 304 for one query (polls/live.py)."""
    now = timezone.now()
    if unchanged := live.not_modified(request, public_id=public_id, viewer=request.user, now=now):
        return unchanged
    try:
        poll = Poll.objects.with_results().get(public_id=public_id)
    except Poll.DoesNotExist:
        missing = JsonResponse({"detail": "There is no poll with that address."}, status=404)
        return live.revalidated(missing)
    response = JsonResponse(PollResultsSerializer(poll).data)
    return live.answered(response, poll=poll, viewer=request.user, now=now)


def option_labels_json(request):
    """Option labels used before on the site that contain `q` (autocomplete), as the API's
    /api/options/ answers them."""
    query = _search(request, tell=False)
    labels = Option.objects.label_suggestions(search=query) if query else []
    return JsonResponse(OptionLabelsSerializer({"labels": labels}).data)


class PollCreateView(LoginRequiredMixin, RateLimitedPostMixin, generic.FormView):
    template_name = "polls/create.html"
    form_class = PollForm
    post_limits = (limits.POLL_CREATE,)

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        rows = form.edited_rows()
        if rows is not None:
            # Add/Remove option without JavaScript: show the form again, keeping what was typed.
            form = PollForm(initial=self._typed(form))
            return self.render_to_response(self.get_context_data(form=form, rows=rows))
        if refused := self.refused():
            return refused
        return self.form_valid(form) if form.is_valid() else self.form_invalid(form)

    @staticmethod
    def _typed(form):
        return {name: form.data.get(name, "") for name in ("title", "days", "hours", "minutes")}

    def form_valid(self, form):
        poll = form.save(author=self.request.user)
        if poll is None:
            return self.form_invalid(form)
        messages.success(self.request, "Your poll is live. Share its link to collect votes.")
        return redirect(poll)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("rows", context["form"].option_rows())
        return context


class MyPollsView(LoginRequiredMixin, UncountedListView):
    template_name = "polls/mine.html"
    context_object_name = "polls"
    paginate_by = 20

    def get_queryset(self):
        return Poll.objects.filter(author=self.request.user).for_listing()


class PollCloseView(LoginRequiredMixin, generic.View):
    """POST only: the author closes their poll now (or anyone holding polls.change_poll, which
    services.poll_close decides)."""

    http_method_names = ["post"]

    def handle_no_permission(self):
        # Back to the poll after logging in: this address only answers POST.
        return redirect_to_login(reverse("polls:detail", args=[self.kwargs["public_id"]]))

    def post(self, request, public_id):
        poll = _poll_or_404(public_id)
        try:
            closed = services.poll_close(poll=poll, by=request.user)
        except services.NotAllowed as refused:
            messages.error(request, refused.message)
            return redirect(poll)
        if closed:
            messages.success(request, f"“{poll.title}” is closed. Its results are final.")
        else:
            messages.info(request, f"“{poll.title}” was already closed.")
        return redirect(_safe_next(request, reverse("polls:mine")))
