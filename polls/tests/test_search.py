import pytest

from polls.search import NUL_REFUSED, SEARCH_MAX_LENGTH, TOO_LONG, SearchTextRefused, search_text


def test_search_text_is_trimmed():
    assert search_text("  pizza \n") == "pizza"
    assert search_text("   ") == ""


def test_search_text_up_to_the_limit_is_kept_whole():
    assert search_text("x" * SEARCH_MAX_LENGTH) == "x" * SEARCH_MAX_LENGTH


@pytest.mark.parametrize(
    ("raw", "message"), [("a\x00b", NUL_REFUSED), ("x" * (SEARCH_MAX_LENGTH + 1), TOO_LONG)]
)
def test_search_text_with_a_nul_or_too_long_is_refused(raw, message):
    with pytest.raises(SearchTextRefused) as refused:
        search_text(raw)

    assert refused.value.message == message
