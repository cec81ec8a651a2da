"""The proof-of-work challenges that the vote form's widget fetches (services.challenges)."""

import math

from django.http import JsonResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from ..services import challenges, limits

CHALLENGES_OFF = "This site asks no anti-spam check."


@require_GET
def challenge_json(request):
    """A new challenge, never cached; 404 when the deployment turned the check off, 429 past
    the per-address rate (a challenge costs the server a signature, the browser a second)."""
    if not challenges.challenge_required():
        return JsonResponse({"detail": CHALLENGES_OFF}, status=404)
    wait = limits.limits_wait(
        limits=[limits.CHALLENGES],
        user=request.user,
        address=limits.client_address(meta=request.META),
    )
    if wait is not None:
        response = JsonResponse({"detail": "Too many anti-spam checks. Wait a moment."}, status=429)
        response["Retry-After"] = str(max(1, math.ceil(wait)))
        return response
    response = JsonResponse(challenges.challenge_create())
    patch_cache_control(response, no_store=True)
    return response
