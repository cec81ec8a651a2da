"""A poll's page and the live results its script polls."""

from django.http import JsonResponse
from django.utils import timezone
from django.views import generic

from .. import live, services, sharing
from ..api.serializers import PollResultsSerializer
from ..models import Poll, VoterMode
from ..ranked_results import ranked_results
from ..voter_requests import (
    browser_cookie_needed,
    browser_cookie_set,
    request_code,
    viewer_identities,
)
from .ballot_order import BallotOrderMixin


class PollDetailView(BallotOrderMixin, generic.DetailView):
    """The poll's permalink. A slug after the id is decoration: only the id finds the poll."""

    template_name = "polls/detail.html"
    slug_field = slug_url_kwarg = "public_id"

    def get_queryset(self):
        identities = viewer_identities(self.request, code=self.request.GET.get("code"))
        return Poll.objects.with_results().with_choice_of(self.request.user, identities=identities)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        poll = self.object
        user = self.request.user
        voted_for = poll.choice_of_user()
        voted = poll.voted_by_user()
        now = timezone.now()
        hidden_until = services.results_hidden_until(poll=poll, viewer=user, voted=voted, now=now)
        results = services.poll_results(poll=poll, hidden=hidden_until is not None)
        is_open = poll.is_open(now=now)
        tally = services.ranked_tally(poll=poll) if hidden_until is None else None
        context.update(
            results=results,
            is_open=is_open,
            voted=voted,
            voted_for=next((o for o in results.options if o.id == voted_for), None),
            show_results=hidden_until is None,
            results_hidden_until=hidden_until,
            # Shown by the viewer's privilege (author, polls.view_results): when others see them.
            results_hidden_from_others=None
            if hidden_until
            else services.results_hidden_until(poll=poll, viewer=None, voted=voted, now=now),
            is_author=user.is_authenticated and user.pk == poll.author_id,
            # is_staff first only spares other voters the permission queries.
            may_manage=user.is_authenticated
            and (user.pk == poll.author_id or user.is_staff)
            and services.user_may_change_poll(by=user, poll=poll),
            share_url=self.request.build_absolute_uri(poll.get_absolute_url()),
            **self._outcome_context(poll, results, is_open, tally=tally),
            **self._ranked_context(results, tally=tally),
            **sharing.link_preview_context(self.request, poll=poll, results=results),
        )
        context.update(self._ballot_context(poll, is_open=is_open))
        context.update(self._voter_context(poll, voted=voted))
        return context

    def _voter_context(self, poll: Poll, *, voted: bool) -> dict:
        """How this poll tells voters apart, as the page says it before the vote: whether the
        viewer may vote here (`can_vote`), the invite code they came with, the anti-spam
        check, the name field; and the who-voted list where they may see it."""
        user = self.request.user
        code = request_code(self.request.GET.get("code"))
        mode = poll.voter_mode
        if mode == VoterMode.BROWSER and not user.is_authenticated:
            browser_cookie_needed(self.request)
        invite = (
            services.invite_code_valid(poll=poll, code=code) if mode == VoterMode.CODE else None
        )
        asks = services.ballot_asks(
            poll=poll,
            voter=services.Voter(user=user),
            invite_usable=invite is not None and not invite.revoked,
        )
        return {
            "can_vote": asks.may_vote,
            "invite": invite,
            "invite_code": invite.code if invite else "",
            "needs_challenge": asks.needs_challenge,
            "asks_name": asks.asks_name,
            "name_required": asks.name_required,
            "may_hide_name": asks.may_hide_name,
            "named_by_account": asks.named_by_account,
            "names_shown": services.names_shown(poll=poll, viewer=None),
            "ballot_list": services.ballot_list(poll=poll, viewer=user, voted=voted),
        }

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        return browser_cookie_set(self.request, response)

    def _outcome_context(self, poll, results, is_open, *, tally=None) -> dict:
        """Whether the viewer may see (and so export) the results, and a closed poll's
        outcome when they may."""
        visible = services.results_visible(
            poll=poll, viewer=self.request.user, voted=poll.voted_by_user()
        )
        if is_open or not visible:
            return {"may_export": visible, "outcome": None}
        outcome = services.poll_outcome(poll=poll, results=results, tally=tally)
        return {
            "may_export": True,
            "outcome": outcome,
            "outcome_sentence": services.outcome_sentence(outcome),
        }

    def _ranked_context(self, results, *, tally) -> dict:
        """A ranked poll's rounds and head-to-head view (`ranked`), None where the results are
        hidden or the poll chooses."""
        if tally is None:
            return {"ranked": None}
        labels = {option.id: option.label for option in results.options}
        return {"ranked": ranked_results(tally=tally, labels=labels)}

    def _ballot_context(self, poll: Poll, *, is_open: bool) -> dict:
        """The viewer's ballot and the vote form: whether it shows (open, and not voted yet or
        allowed to change), the options to choose from (`vote_options`, in this viewer's order), and
        a ranked ballot's option ids best first (`my_ranking`)."""
        by_id = {option.pk: option for option in poll.options.all()}
        chosen = poll.choices_of_user()
        ballot = poll.ballot_of_user()
        ranking = poll.ranking_of_user() if poll.is_ranked else []
        return {
            "vote_options": self.ballot_options(poll),
            "my_ballot": ballot,
            "my_choice_ids": chosen,
            # In the author's order, a ranked ballot's in its own.
            "my_choices": [by_id[option] for option in ranking or chosen if option in by_id],
            "my_ranking": ranking,
            "show_vote_form": is_open and (ballot is None or poll.allow_vote_change),
        }


def poll_results_json(request, public_id):
    """What the poll page polls every few seconds to show new votes without a reload. A poll
    unchanged since the ETag the browser sends answers 304 for one query (polls/live.py)."""
    now = timezone.now()
    identities = viewer_identities(request, code=request.GET.get("code"))
    mine = {"viewer": request.user, "now": now, "identities": identities}
    if unchanged := live.not_modified(request, public_id=public_id, **mine):
        return unchanged
    try:
        poll = (
            Poll.objects.with_results()
            .with_choice_of(request.user, identities=identities)
            .get(public_id=public_id)
        )
    except Poll.DoesNotExist:
        missing = JsonResponse({"detail": "There is no poll with that address."}, status=404)
        return live.revalidated(missing)
    response = JsonResponse(PollResultsSerializer(poll, context={"request": request}).data)
    return live.answered(response, poll=poll, **mine)
