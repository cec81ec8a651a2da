"""Casting a vote from the poll page."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views import generic

from .. import services
from ..models import Poll
from ..services import limits
from .common import RateLimitedPostMixin, _poll_or_404


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
