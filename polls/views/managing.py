"""The author's controls for one poll: the manage page (close, extend or reopen, edit by the
rule of docs/poll-settings.md) and deleting. Everything goes through the services, which decide
who may (the author, or staff by permission) and record it; anyone else gets the 403 page."""

import math
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views import generic

from .. import services
from ..edit_forms import PollEditForm, fixed_on_the_page
from ..forms import ClosingTimeForm
from ..models import MAX_POLL_DURATION, Poll
from .common import _poll_or_404

EDIT_SAVED = "Your changes are saved."
NOTHING_CHANGED = "Nothing changed."


class ManagedPollMixin(LoginRequiredMixin):
    template_name = "polls/manage.html"

    def handle_no_permission(self):
        # Back to the manage page after logging in (the POST addresses answer nothing else).
        return redirect_to_login(reverse("polls:manage", args=[self.kwargs["public_id"]]))

    def managed_poll(self) -> Poll:
        poll = _poll_or_404(self.kwargs["public_id"], Poll.objects.with_results())
        if not services.user_may_change_poll(by=self.request.user, poll=poll):
            raise PermissionDenied("Only the poll's author or staff can manage it.")
        return poll

    def manage_context(self, poll: Poll, **forms) -> dict:
        user = self.request.user
        fixed = services.poll_fixed_fields(poll=poll)
        voted = bool(fixed)
        edit_form = forms.get("edit_form") or PollEditForm(poll=poll, fixed=fixed)
        return {
            "poll": poll,
            "is_open": poll.is_open(),
            "is_author": user.pk == poll.author_id,
            "fixed": edit_form.fixed,
            "voted": voted,
            "results_shown": results_shown(poll, user),
            "may_delete": services.user_may_delete_poll(by=user, poll=poll, voted=voted),
            "edit_form": edit_form,
            "rows": forms.get("rows") or edit_form.option_rows(),
            "closing_form": forms.get("closing_form")
            or ClosingTimeForm(initial=_a_day_later(poll)),
        }


def results_shown(poll: Poll, user) -> bool:
    """Whether the page may show the poll's count to `user`: managing a poll (polls.change_poll,
    polls.delete_poll) is not seeing its hidden results (polls.view_results). The user's own
    ballot is read only when the count waits for their vote."""
    hidden_until = services.results_hidden_until(poll=poll, viewer=user, voted=False)
    if hidden_until == services.UNTIL_VOTE:
        return poll.ballots.filter(voter=user).exists()
    return hidden_until is None


def _a_day_later(poll: Poll) -> dict:
    """What the extend form starts with: a day past the closing time, in whole hours from now
    (the default, 24 hours from now, for a closed poll or where that is past 30 days)."""
    if not poll.is_open():
        return {}
    hours = math.ceil((poll.closes_at - timezone.now()) / timedelta(hours=1)) + 24
    if hours > MAX_POLL_DURATION / timedelta(hours=1):
        return {}
    return {"days": hours // 24, "hours": hours % 24, "minutes": 0}


class PollManageView(ManagedPollMixin, generic.TemplateView):
    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | self.manage_context(self.managed_poll())


class PollEditView(ManagedPollMixin, generic.TemplateView):
    """POST the edit form. Add/Remove option without JavaScript show it again, unjudged."""

    http_method_names = ["post"]

    def post(self, request, public_id):
        poll = self.managed_poll()
        fixed = fixed_on_the_page(request.POST)
        form = PollEditForm(request.POST, poll=poll, fixed=fixed)
        rows = form.edited_rows()
        if rows is not None:
            form = PollEditForm(initial=form.typed(), poll=poll, fixed=fixed)
            return self.render_to_response(self.manage_context(poll, edit_form=form, rows=rows))
        revision = poll.revision
        if form.is_valid() and (edited := form.save(by=request.user)) is not None:
            changed = Poll.objects.filter(pk=edited.pk, revision__gt=revision).exists()
            messages.success(request, EDIT_SAVED if changed else NOTHING_CHANGED)
            return redirect("polls:manage", public_id=poll.public_id)
        return self.render_to_response(self.manage_context(poll, edit_form=form))


class PollRescheduleView(ManagedPollMixin, generic.TemplateView):
    """POST a new closing time: `extend` an open poll (only later), `reopen` a closed one."""

    http_method_names = ["post"]
    action = "extend"

    def post(self, request, public_id):
        poll = self.managed_poll()
        form = ClosingTimeForm(request.POST)
        if form.is_valid():
            now = timezone.now()
            closes_at = form.closes_at(now=now)
            try:
                if self.action == "reopen":
                    services.poll_reopen(poll=poll, closes_at=closes_at, by=request.user, now=now)
                else:
                    services.poll_reschedule(
                        poll=poll, closes_at=closes_at, by=request.user, later_only=True, now=now
                    )
            except ValidationError as error:
                for messages_ in error.message_dict.values():
                    form.add_error(form.closing_error_field(), messages_)
            else:
                done = "reopened" if self.action == "reopen" else "extended"
                messages.success(request, f"“{poll.title}” is {done}.")
                return redirect("polls:manage", public_id=poll.public_id)
        return self.render_to_response(self.manage_context(poll, closing_form=form))


class PollDeleteView(LoginRequiredMixin, generic.TemplateView):
    """Confirm (GET), then delete (POST): its author while nobody has voted, or a holder of
    polls.delete_poll (services.poll_delete decides, and records it)."""

    template_name = "polls/delete.html"

    def deletable_poll(self) -> Poll:
        poll = _poll_or_404(self.kwargs["public_id"], Poll.objects.select_related("author"))
        voted = bool(services.poll_fixed_fields(poll=poll))
        if not services.user_may_delete_poll(by=self.request.user, poll=poll, voted=voted):
            raise PermissionDenied("Only staff can delete this poll.")
        return poll

    def get_context_data(self, **kwargs):
        poll = self.deletable_poll()
        return super().get_context_data(**kwargs) | {
            "poll": poll,
            "results_shown": results_shown(poll, self.request.user),
        }

    def post(self, request, public_id):
        poll = self.deletable_poll()
        try:
            services.poll_delete(poll=poll, by=request.user)
        except services.NotAllowed as refused:
            messages.error(request, refused.message)
            return redirect(poll)
        messages.success(request, f"“{poll.title}” is deleted.")
        return redirect(reverse("polls:mine"))
