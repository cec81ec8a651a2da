"""A code poll's invite codes, for its author and holders of polls.change_poll: generate them,
list them with their links and whether each is used (never when), withdraw unused ones, and
take them away as a CSV or a printable sheet with a QR code per link."""

import csv
import io

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header, urlencode
from django.utils.text import slugify
from django.views import generic

from .. import exports, services, sharing
from ..models import Poll, VoterMode
from .managing import ManagedPollMixin

CODES_MADE = "{count} new invite code{s}: hand out their links."
CODES_REVOKED = "{count} unused code{s} withdrawn."
NONE_CHOSEN = "Tick the unused codes to withdraw first."


def invite_link(request, poll: Poll, code: str) -> str:
    """The link that votes with `code`: the poll's address with the code."""
    return f"{sharing.poll_link(request, poll)}?{urlencode({'code': code})}"


class InvitePollMixin(ManagedPollMixin):
    template_name = "polls/invites.html"

    def managed_poll(self) -> Poll:
        poll = super().managed_poll()
        if poll.voter_mode != VoterMode.CODE:
            raise Http404("This poll does not take votes by invite code.")
        return poll

    def invites(self, poll: Poll) -> list:
        codes = services.invite_codes_of(poll=poll, by=self.request.user)
        for invite in codes:
            invite.link = invite_link(self.request, poll, invite.code)
        return codes


class InviteCodesView(InvitePollMixin, generic.TemplateView):
    """The list, with the forms to generate and to withdraw codes."""

    def get_context_data(self, **kwargs):
        poll = self.managed_poll()
        invites = self.invites(poll)
        return super().get_context_data(**kwargs) | {
            "poll": poll,
            "invites": invites,
            "counts": services.invite_code_counts(poll=poll),
            "max_at_once": services.MAX_CODES_AT_ONCE,
        }

    def post(self, request, public_id):
        poll = self.managed_poll()
        try:
            if "generate" in request.POST:
                count = _whole_number(request.POST.get("count"))
                made = services.invite_codes_create(poll=poll, by=request.user, count=count)
                messages.success(request, _plural(CODES_MADE, len(made)))
            else:
                numbers = [_whole_number(value) for value in request.POST.getlist("number")]
                if not numbers:
                    messages.error(request, NONE_CHOSEN)
                else:
                    revoked = services.invite_codes_revoke(
                        poll=poll, by=request.user, numbers=numbers
                    )
                    messages.success(request, _plural(CODES_REVOKED, revoked))
        except services.InviteCodesRefused as refused:
            messages.error(request, refused.message)
        return redirect("polls:invites", public_id=poll.public_id)


class InviteCodesCsvView(InvitePollMixin, generic.View):
    def get(self, request, public_id):
        poll = self.managed_poll()
        output = io.StringIO()
        writer = csv.writer(output)
        writer.writerow(["Number", "Link", "Status"])
        for invite in self.invites(poll):
            writer.writerow([invite.number, exports.spreadsheet_safe(invite.link), invite.status])
        body = (exports.UTF8_BOM + output.getvalue()).encode()
        response = HttpResponse(body, content_type=f"{exports.CSV_MEDIA_TYPE}; charset=utf-8")
        stem = slugify(poll.title)[: exports.FILENAME_TITLE_LENGTH].strip("-_") or "poll"
        filename = f"{stem}-invites.csv"
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response


class InviteCodesSheetView(InvitePollMixin, generic.View):
    """A page to print: one card per unused code, with its link as text and as a QR code."""

    def get(self, request, public_id):
        poll = self.managed_poll()
        cards = [
            {"invite": invite, "qr": sharing.qr_svg(invite.link).decode()}
            for invite in self.invites(poll)
            if invite.status == "unused"
        ]
        return render(request, "polls/invites_sheet.html", {"poll": poll, "cards": cards})


def _whole_number(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _plural(template: str, count: int) -> str:
    return template.format(count=count, s="" if count == 1 else "s")
