"""Who is voting: the one rule that tells voters apart by the poll's voter mode, the identity
key each ballot is stored under (the database keeps one ballot per identity in a poll), the
name a ballot carries, and the keyed hash that stands for a client's address.

Identities, by mode (docs/voting-without-an-account.md):
- account: `user:<id>`, the signed-in voter;
- browser: `user:<id>` for a signed-in voter, else `browser:<hash>` of the random value the
  browser keeps in a signed, HTTP-only cookie;
- code: `code:<hash>` of the invite code, whoever is signed in;
- open: `open:<random>`, new for every ballot, so nothing ties two ballots together.
The hashes are keyed with the secret key: a copy of the ballots names no cookie and no code.
"""

import ipaddress
import secrets
import unicodedata
from dataclasses import dataclass

from django.utils.crypto import salted_hmac

from ..models import (
    ADDRESS_HASH_LENGTH,
    VOTER_NAME_MAX_LENGTH,
    Poll,
    VoterMode,
    VoterNames,
    user_identity,
)
from .challenges import challenge_required
from .errors import (
    BrowserNotKnown,
    InviteCodeNeeded,
    NameRefused,
    NameRequired,
    NoWayToChange,
    SignInToVote,
)

IDENTITY_SALT = "polls.services.voters.identity"
ADDRESS_SALT = "polls.services.voters.address"
IPV6_GROUP_PREFIX = 64  # one household or phone holds a whole /64: count it as one address

NAME_TOO_LONG = f"A name can be at most {VOTER_NAME_MAX_LENGTH} characters."
NAME_CONTROL = "A name cannot contain control characters."


@dataclass(frozen=True)
class Voter:
    """Whoever sends a ballot, as the request tells: the signed-in `user` (or None), the
    browser's random value from its signed cookie, the invite code sent, the client's address
    (hashed before anything stores it), the name typed and whether a signed-in voter asked to
    keep their username off the ballot. Nothing here has been checked yet."""

    user: object = None
    browser: str | None = None
    code: str | None = None
    address: str | None = None
    name: str = ""
    hide_name: bool = False

    @property
    def signed_in(self) -> bool:
        return self.user is not None and self.user.is_authenticated


def as_voter(voter) -> Voter:
    """A Voter for a Voter or a user (the signed-in voter alone)."""
    return voter if isinstance(voter, Voter) else Voter(user=voter)


def _keyed(kind: str, value: str) -> str:
    digest = salted_hmac(IDENTITY_SALT, f"{kind}|{value}", algorithm="sha256").hexdigest()
    return f"{kind}:{digest[:40]}"


def browser_identity(browser: str) -> str:
    return _keyed("browser", browser)


def code_identity(code: str) -> str:
    return _keyed("code", code)


def open_identity() -> str:
    return f"open:{secrets.token_hex(16)}"


def ballot_identity(*, mode: str, voter: Voter, new: bool = True) -> str:
    """The identity `voter`'s ballot has in a poll of voter `mode`; `new` for a ballot being
    cast, False to find the one they cast (an open poll's ballots cannot be found again). The
    refusal that tells them what is missing otherwise."""
    if mode == VoterMode.CODE:
        if not voter.code:
            raise InviteCodeNeeded
        return code_identity(voter.code)
    if mode == VoterMode.OPEN:
        if not new:
            raise NoWayToChange
        return open_identity()
    if voter.signed_in:
        return user_identity(voter.user.pk)
    if mode == VoterMode.BROWSER:
        if not voter.browser:
            raise BrowserNotKnown
        return browser_identity(voter.browser)
    raise SignInToVote


def needs_challenge(*, mode: str, voter: Voter) -> bool:
    """Whether this ballot must carry a solved proof-of-work challenge: a vote without an
    account in a browser or open poll, where the deployment asks for one. Signed-in voters are
    known; invite codes are their own check, and work without JavaScript."""
    anonymous = mode in (VoterMode.BROWSER, VoterMode.OPEN) and not voter.signed_in
    return anonymous and challenge_required()


def votes_by_account(*, mode: str, voter: Voter) -> bool:
    """Whether `voter` votes by their account in a poll of voter `mode` (and so is named by
    their username): signed in, in an account or browser poll."""
    return voter.signed_in and mode in (VoterMode.ACCOUNT, VoterMode.BROWSER)


@dataclass(frozen=True)
class BallotAsks:
    """What the vote form asks of a voter, by the rules vote_cast applies when they vote."""

    may_vote: bool
    needs_challenge: bool
    asks_name: bool
    name_required: bool
    named_by_account: bool
    may_hide_name: bool


def ballot_asks(*, poll: Poll, voter: Voter, invite_usable: bool = False) -> BallotAsks:
    """What `poll`'s vote form asks of `voter` (`invite_usable`: they came with a code of the
    poll that may still vote): whether they may vote at all (an account poll needs an
    account, a code poll a code), the anti-spam check, and the name."""
    mode, names = poll.voter_mode, poll.voter_names
    may_vote = {VoterMode.ACCOUNT: voter.signed_in, VoterMode.CODE: invite_usable}.get(mode, True)
    by_account = votes_by_account(mode=mode, voter=voter)
    return BallotAsks(
        may_vote=may_vote,
        needs_challenge=may_vote and needs_challenge(mode=mode, voter=voter),
        asks_name=names != VoterNames.OFF and not by_account,
        name_required=names == VoterNames.REQUIRED,
        named_by_account=by_account and names != VoterNames.OFF,
        may_hide_name=by_account and names == VoterNames.OPTIONAL,
    )


def ballot_name(*, poll: Poll, voter: Voter) -> str:
    """The name `voter`'s ballot carries in `poll`: none where names are not asked; a
    signed-in voter's username unless they hide it where names are optional (a code or open
    ballot is nobody's account, so it takes the typed name); else the typed name, cleaned.
    NameRequired or NameRefused when it will not do."""
    if poll.voter_names == VoterNames.OFF:
        return ""
    if votes_by_account(mode=poll.voter_mode, voter=voter):
        if voter.hide_name and poll.voter_names == VoterNames.OPTIONAL:
            return ""
        return voter.user.get_username()[:VOTER_NAME_MAX_LENGTH]
    name = voter_name_clean(voter.name)
    if not name and poll.voter_names == VoterNames.REQUIRED:
        raise NameRequired
    return name


def voter_name_clean(name) -> str:
    """A typed name, its spaces folded; NameRefused when it is too long or holds control
    characters."""
    if not isinstance(name, str):
        return ""
    name = " ".join(name.split())
    if len(name) > VOTER_NAME_MAX_LENGTH:
        raise NameRefused(NAME_TOO_LONG)
    if any(unicodedata.category(character) in ("Cc", "Cf", "Cs") for character in name):
        raise NameRefused(NAME_CONTROL)
    return name


def address_hash(address: str | None) -> str:
    """A keyed hash standing for a client's address, "" for none: an IPv4 address as it is,
    an IPv6 address by its /64 network. What throttles and ballots keep instead of the
    address."""
    if not address:
        return ""
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        group = address.strip()[:100]
    else:
        if parsed.version == 6 and parsed.ipv4_mapped:
            parsed = parsed.ipv4_mapped
        if parsed.version == 6:
            group = str(ipaddress.ip_network(f"{parsed}/{IPV6_GROUP_PREFIX}", strict=False))
        else:
            group = str(parsed)
    digest = salted_hmac(ADDRESS_SALT, group, algorithm="sha256").hexdigest()
    return digest[:ADDRESS_HASH_LENGTH]
