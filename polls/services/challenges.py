# TEMPORARY local stand-in until the pow branch is merged; never committed.
from django.conf import settings

from .errors import VoteRefused


class ChallengeFailed(VoteRefused):
    code = "challenge_failed"


def challenge_required():
    return getattr(settings, "VOTR_CHALLENGE_DIFFICULTY", 1) > 0


def challenge_verify(*, payload):
    if payload != "solved":
        raise ChallengeFailed("no")
