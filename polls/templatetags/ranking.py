"""The ranked ballot's fields (templates/polls/_ranking_fields.html): the rank each select
starts at, from the viewer's ballot."""

from collections.abc import Iterable, Sequence

from django import template

register = template.Library()


@register.simple_tag
def ranking_rows(options: Iterable, ranking: Sequence, *, rank_all: bool) -> list[tuple]:
    """`{% ranking_rows vote_options my_ranking rank_all=poll.rank_all as rows %}`: each option,
    in the order given, with the rank the ballot gives it (1 is first) or None. Ids the ballot
    names that are not among the options are skipped without leaving a gap. Where every option
    must be ranked there is no "Not ranked" to start at, so the options the ballot leaves out
    (all of them before a first vote) follow in the order given."""
    options = list(options)
    present = {str(option.id) for option in options}
    ranked = [str(option_id) for option_id in ranking or () if str(option_id) in present]
    ranks = {option_id: rank for rank, option_id in enumerate(dict.fromkeys(ranked), start=1)}
    rows = []
    for option in options:
        rank = ranks.get(str(option.id))
        if rank is None and rank_all:
            rank = ranks[str(option.id)] = len(ranks) + 1
        rows.append((option, rank))
    return rows
