"""Casting, changing and retracting a vote from the poll page."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.views import generic

from .. import services
from ..models import Poll, VoterMode
from ..services import limits
from ..voter_requests import request_code, request_voter
from .common import RateLimitedPostMixin, _poll_or_404

VOTE_COUNTED = "Your vote is counted. Thank you!"
VOTE_CHANGED = "Your vote is changed."
VOTE_RETRACTED = (
    "Your vote is retracted: it no longer counts. You can vote again while the poll is open."
)


class BallotPostView(RateLimitedPostMixin, generic.View):
    """POST only: act on the voter's ballot, then back to the poll (post/redirect/get). The
    voter is whoever the poll's mode says (services.voters): the account, the browser's
    cookie, the invite code posted. Counted against the votes limit, as the API's votes are,
    and a vote without an account against the anonymous votes limit too."""

    http_method_names = ["post"]
    post_limits = (limits.VOTES, limits.ANONYMOUS_VOTES)

    def post(self, request, public_id):
        code = request_code(request.POST.get("code"))
        poll_url = reverse("polls:detail", kwargs={"public_id": public_id})
        back = f"{poll_url}?{urlencode({'code': code})}" if code else poll_url
        if not request.user.is_authenticated:
            poll = _poll_or_404(public_id, Poll.objects.only("id", "voter_mode"))
            if poll.voter_mode == VoterMode.ACCOUNT:
                messages.info(request, "Log in to vote; you will come back to this poll.")
                return redirect(f"{reverse('login')}?next={poll_url}")
        if refused := self.refused():
            return refused
        try:
            done = self.act(public_id)
        except services.PollNotFound:
            raise Http404("There is no poll with that address.") from None
        except services.VoteRefused as refused:
            messages.error(request, refused.message)
        else:
            if done:
                messages.success(request, done)
        return redirect(back)

    def voter(self):
        """Who this POST votes as: the account, the browser, the invite code, the name."""
        post = self.request.POST
        return request_voter(
            self.request,
            code=post.get("code"),
            name=post.get("name"),
            hide_name=post.get("hide_name") == "on",
        )

    def act(self, public_id: str) -> str | None:
        """Call the service; the message that confirms it, or None when nothing was done."""
        raise NotImplementedError

    def choices(self, public_id: str, *, button: str) -> dict | None:
        """The ballot the form sent: radio buttons send `option`, checkboxes `options`, a
        ranked ballot a `rank_<option id>` per option (services.ranking_from_ranks reads them,
        refusing gaps and repeats). None, with a message asking for a choice, when it sent
        none."""
        post = self.request.POST
        ranks = {
            name.removeprefix("rank_"): post[name] for name in post if name.startswith("rank_")
        }
        if ranks:
            return {"ranking": services.ranking_from_ranks(ranks)}
        chosen = [value for value in post.getlist("options") if value]
        if chosen:
            return {"option_ids": chosen}
        if option_id := post.get("option", ""):
            return {"option_id": option_id}
        poll = _poll_or_404(
            public_id, Poll.objects.only("id", "voting_method", "min_choices", "max_choices")
        )
        if poll.is_ranked:
            messages.error(self.request, services.RankingEmpty.message)
        elif poll.is_multiple_choice:
            messages.error(self.request, services.TooFewChoices(poll.min_choices).message)
        else:
            messages.error(self.request, f"Choose an option, then press {button}.")
        return None


class VoteView(BallotPostView):
    def act(self, public_id):
        if (choices := self.choices(public_id, button="Vote")) is None:
            return None
        services.vote_cast(
            poll=public_id,
            voter=self.voter(),
            challenge=self.request.POST.get("altcha"),
            **choices,
        )
        return VOTE_COUNTED


class VoteChangeView(BallotPostView):
    """The "Change your vote" form, where the poll allows it (services.vote_change decides)."""

    def act(self, public_id):
        if (choices := self.choices(public_id, button="Change my vote")) is None:
            return None
        services.vote_change(poll=public_id, voter=self.voter(), **choices)
        return VOTE_CHANGED


class VoteRetractView(BallotPostView):
    """The "Retract my vote" button, where the poll allows it (services.vote_retract decides)."""

    def act(self, public_id):
        services.vote_retract(poll=public_id, voter=self.voter())
        return VOTE_RETRACTED
