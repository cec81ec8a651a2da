"""Emails: the outcome of a poll to its author, and account emails (services decide when)."""

import logging

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

from ..models import Poll
from .outcome import OutcomeKind, outcome_sentence, poll_outcome
from .results import poll_results
from .visibility import results_visible

logger = logging.getLogger(__name__)


def outcome_email(poll: Poll, *, recipient=None) -> EmailMultiAlternatives:
    """The email on a close to `recipient` (the author, who always sees the results, unless
    told otherwise), text and HTML (templates/polls/email/poll_closed*): title, total,
    per-option counts, and the outcome in the poll page's words (the winner, the tie or that
    nobody voted) with the leading options marked, each only as far as the
    visibility rule lets the recipient see them. Reads the poll's options (prefetched when
    present) and its author."""
    recipient = recipient or poll.author
    shown = results_visible(poll=poll, viewer=recipient, voted=False)
    results = poll_results(poll=poll, hidden=not shown)
    outcome = poll_outcome(poll=poll, results=results) if shown else None
    context = {
        "poll": poll,
        "results_shown": shown,
        "total": results.total_votes,
        "options": results.options,
        "outcome": outcome_sentence(outcome) if shown else "",
        "leaders": outcome.option_ids if shown else [],
        "leader_mark": "winner" if shown and outcome.kind == OutcomeKind.WINNER else "tied",
    }
    # A header cannot hold a line break, whatever the title holds.
    subject = " ".join(render_to_string("polls/email/poll_closed_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject[:200],
        render_to_string("polls/email/poll_closed.txt", context),
        settings.DEFAULT_FROM_EMAIL,
        [recipient.email],
    )
    message.attach_alternative(
        render_to_string("polls/email/poll_closed.html", context), "text/html"
    )
    return message


def send_outcome_emails(polls: list[Poll]) -> int:
    """Email each poll's author its outcome over one connection; returns how many were sent.
    A mail server that fails is logged, never raised: a close is recorded even when its email
    cannot be delivered."""
    messages = [outcome_email(poll) for poll in polls if poll.author.email]
    if not messages:
        return 0
    try:
        return get_connection().send_messages(messages) or 0
    except Exception as error:  # noqa: BLE001 (SMTP, DNS, TLS: whatever the mail server does)
        logger.error(
            "Could not send the outcome email of poll(s) %s (%s: %s).",
            ", ".join(str(poll.pk) for poll in polls),
            type(error).__name__,
            error,
        )
        return 0


def send_account_email(*, user, subject_template: str, body_template: str, context: dict) -> bool:
    """Email one account's owner from two templates (plain text), with `user` and
    `site_url` in the context. A mail server that fails is logged, never raised: the owner
    can ask again. True if sent."""
    context = {"user": user, "site_url": settings.SITE_URL, **context}
    # A header cannot hold a line break.
    subject = " ".join(render_to_string(subject_template, context).split())
    body = render_to_string(body_template, context)
    try:
        return bool(EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]).send())
    except Exception as error:  # noqa: BLE001 (SMTP, DNS, TLS: whatever the mail server does)
        logger.error(
            "Could not send %s to user %s (%s: %s).",
            body_template,
            user.pk,
            type(error).__name__,
            error,
        )
        return False
