"""Emails: the outcome of a poll to its author, and account emails (services decide when)."""

import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string

from ..models import Poll
from .results import poll_results

logger = logging.getLogger(__name__)


def outcome_email(poll: Poll) -> tuple[str, str]:
    """Subject and plain-text body: title, total, per-option counts, and the winner or tie.
    Reads the poll's options (prefetched when present) and its author."""
    results = poll_results(poll=poll)
    total = results.total_votes
    top = max((option.votes for option in results.options), default=0)
    leaders = [option.label for option in results.options if option.votes == top]
    if total == 0:
        verdict = "Nobody voted."
    elif len(leaders) == 1:
        verdict = f'The winner is "{leaders[0]}" with {top} of {total} votes.'
    else:
        tied = ", ".join(f'"{label}"' for label in leaders)
        verdict = f"It is a tie between {tied} with {top} votes each."
    lines = [
        f'Your poll "{poll.title}" closed at {poll.ended_at:%Y-%m-%d %H:%M} UTC.',
        "",
        verdict,
        "",
        f"Total votes: {total}",
        *(f"- {option.label}: {option.votes} ({option.percent:g}%)" for option in results.options),
    ]
    # A header cannot hold a line break, whatever the title holds.
    subject = " ".join(f"Your poll has closed: {poll.title}".split())[:200]
    return subject, "\n".join(lines) + "\n"


def send_outcome_emails(polls: list[Poll]) -> int:
    """Email each poll's author its outcome over one connection; returns how many were sent.
    A mail server that fails is logged, never raised: a close is recorded even when its email
    cannot be delivered."""
    messages = []
    for poll in polls:
        if poll.author.email:
            subject, body = outcome_email(poll)
            messages.append(
                EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [poll.author.email])
            )
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
