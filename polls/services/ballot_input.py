"""What a ballot sent holds, checked before anything is read: option ids, one or several
chosen, or a ranking (a list best first, or a form's rank numbers)."""

from collections.abc import Iterable, Mapping

from ..models import MAX_OPTIONS
from .errors import DuplicateChoice, OptionNotInPoll, RankGap, RankingEmpty, RankRepeated

MAX_ID = 2**63 - 1  # the largest id either database stores; a bigger number names no option


def as_option_id(option_id) -> int:
    if isinstance(option_id, bool):
        raise OptionNotInPoll
    try:
        number = int(option_id)
    except (TypeError, ValueError):
        raise OptionNotInPoll from None
    if not 0 < number <= MAX_ID:
        raise OptionNotInPoll
    return number


def chosen_ids(
    *, option_id: int | None, option_ids: Iterable[int] | None
) -> tuple[list[int], bool]:
    """The option ids a ballot holds, and whether they came as the single-choice `option_id`.
    OptionNotInPoll for anything that is no id, DuplicateChoice for an option given twice."""
    if option_ids is None:
        return [as_option_id(option_id)], True
    if option_id is not None or isinstance(option_ids, str | bytes):
        raise TypeError("Give option_id or option_ids (a list of ids), not both.")
    chosen = list(option_ids)
    if len(chosen) > MAX_OPTIONS:  # more than any poll takes: not worth reading
        return chosen, False
    chosen = [as_option_id(option) for option in chosen]
    if len(set(chosen)) != len(chosen):
        raise DuplicateChoice
    return chosen, False


def ranking_clean(ranking: Iterable) -> list[int]:
    """A ranking as sent (option ids, best first) as ids: OptionNotInPoll for anything that is
    no id, RankRepeated for an option ranked twice, RankingEmpty for none."""
    if isinstance(ranking, str | bytes | Mapping) or not isinstance(ranking, Iterable):
        raise OptionNotInPoll("Give the ranking as a list of option ids, best first.")
    ranked = list(ranking)
    if not ranked:
        raise RankingEmpty
    if len(ranked) > MAX_OPTIONS:  # more than any poll has: not worth reading
        raise OptionNotInPoll(f"A poll has at most {MAX_OPTIONS} options: rank fewer.")
    ids = [as_option_id(option) for option in ranked]
    if len(set(ids)) != len(ids):
        raise RankRepeated
    return ids


def ranking_from_ranks(ranks: Mapping[str, str]) -> list[int]:
    """The ranking a form's rank numbers give ({option id: rank}, as posted; a blank rank is
    an option left unranked): option ids best first. The ranks used must be 1, 2, 3… without a
    gap or a repeat (RankGap, RankRepeated); RankingEmpty when none is given."""
    if len(ranks) > MAX_OPTIONS:
        raise OptionNotInPoll(f"A poll has at most {MAX_OPTIONS} options: rank fewer.")
    by_rank: dict[int, int] = {}
    for option, rank in ranks.items():
        rank = str(rank).strip()
        if not rank:
            continue
        if not rank.isdecimal() or len(rank) > 2 or not 0 < int(rank) <= MAX_OPTIONS:
            raise RankGap
        if int(rank) in by_rank:
            raise RankRepeated
        by_rank[int(rank)] = as_option_id(option)
    if not by_rank:
        raise RankingEmpty
    for expected in range(1, len(by_rank) + 1):
        if expected not in by_rank:
            raise RankGap(expected)
    return [by_rank[rank] for rank in range(1, len(by_rank) + 1)]
