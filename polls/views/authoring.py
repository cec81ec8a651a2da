"""What an author does on the site: create a poll, and close it."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.views import generic

from .. import services
from ..forms import PollForm
from ..services import limits
from .common import RateLimitedPostMixin, _poll_or_404, _safe_next


class PollCreateView(LoginRequiredMixin, RateLimitedPostMixin, generic.FormView):
    template_name = "polls/create.html"
    form_class = PollForm
    post_limits = (limits.POLL_CREATE,)

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        rows = form.edited_rows()
        if rows is not None:
            # Add/Remove option without JavaScript: show the form again, keeping what was typed.
            form = PollForm(initial=form.typed())
            return self.render_to_response(self.get_context_data(form=form, rows=rows))
        if refused := self.refused():
            return refused
        return self.form_valid(form) if form.is_valid() else self.form_invalid(form)

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
