"""The order of a ballot's options: the author's, or each viewer's own when the poll shuffles."""

import pytest

from polls import services
from polls.models import Poll
from polls.services.ordering import ANONYMOUS_ORDER_KEY
from polls.tests.factories import PollFactory, UserFactory

pytestmark = pytest.mark.django_db

LABELS = [f"Option {number}" for number in range(1, 21)]


def labels_for(poll: Poll, key: str) -> list[str]:
    options = services.ballot_order(poll=poll, options=poll.options.all(), viewer_key=key)
    return [option.label for option in options]


@pytest.fixture
def shuffled():
    return Poll.objects.with_results().get(pk=PollFactory(labels=LABELS, shuffle_options=True).pk)


def test_a_poll_that_does_not_shuffle_keeps_the_authors_order_for_everyone():
    poll = PollFactory(labels=LABELS)

    for key in ("user:1", "browser:abc", ANONYMOUS_ORDER_KEY):
        assert labels_for(poll, key) == LABELS


def test_a_shuffled_ballot_holds_every_option_once(shuffled):
    assert sorted(labels_for(shuffled, "user:1")) == sorted(LABELS)


def test_one_viewer_sees_the_same_order_every_time(shuffled):
    again = Poll.objects.with_results().get(pk=shuffled.pk)

    assert labels_for(shuffled, "user:7") == labels_for(again, "user:7")


def test_viewers_see_orders_of_their_own(shuffled):
    """20 options: two equal orders would be a 1 in 20! chance."""
    orders = {tuple(labels_for(shuffled, f"user:{n}")) for n in range(5)}
    orders.add(tuple(labels_for(shuffled, "browser:one")))
    orders.add(tuple(labels_for(shuffled, "browser:two")))

    assert len(orders) == 7
    assert tuple(LABELS) not in orders


def test_one_viewer_sees_each_poll_in_a_different_order():
    first, second = (
        Poll.objects.with_results().get(pk=PollFactory(labels=LABELS, shuffle_options=True).pk)
        for _ in range(2)
    )

    assert labels_for(first, "user:1") != labels_for(second, "user:1")


def test_the_order_depends_on_the_secret_key(shuffled, settings):
    before = labels_for(shuffled, "user:1")
    settings.SECRET_KEY = "another-secret-key-that-is-long-enough-for-django-checks-9876543210"

    assert labels_for(shuffled, "user:1") != before


def test_ordering_prefetched_options_makes_no_query(shuffled, django_assert_num_queries):
    with django_assert_num_queries(0):
        labels_for(shuffled, "user:1")


def test_viewer_keys_name_the_user_then_the_browser_then_nobody():
    user = UserFactory()
    anonymous = type("Anonymous", (), {"is_authenticated": False})()

    assert services.viewer_order_key(user=user, browser="abc") == f"user:{user.pk}"
    assert services.viewer_order_key(user=anonymous, browser="abc") == "browser:abc"
    assert services.viewer_order_key(user=anonymous) == ANONYMOUS_ORDER_KEY
    assert services.viewer_order_key(user=None, browser="") == ANONYMOUS_ORDER_KEY
