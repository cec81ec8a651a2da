from datetime import timedelta

import factory
from django.contrib.auth.models import Permission
from django.utils import timezone

from polls.labels import label_key
from polls.models import Option, Poll, User

PASSWORD = "a-Strong-test-password-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"voter{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password(PASSWORD)


def staff_with(*permissions: str, **fields) -> User:
    """A member of staff holding exactly `permissions` ("polls.change_poll", …), no group."""
    user = UserFactory(is_staff=True, **fields)
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


class PollFactory(factory.django.DjangoModelFactory):
    """A poll with options "Option 1" to "Option 3" unless `labels` says otherwise."""

    class Meta:
        model = Poll
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Question {n}?")
    author = factory.SubFactory(UserFactory)
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))

    @factory.post_generation
    def labels(poll, create, extracted, **kwargs):
        labels = extracted if extracted is not None else ["Option 1", "Option 2", "Option 3"]
        options = [
            Option(poll=poll, label=label, label_key=label_key(label), position=position)
            for position, label in enumerate(labels, start=1)
        ]
        if create:
            Option.objects.bulk_create(options)
