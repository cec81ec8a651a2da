"""polls/services/permissions.py: who may do what, decided once for every face."""

import pytest

from polls import services
from polls.models import User

from ..factories import UserFactory, staff_with

pytestmark = pytest.mark.django_db


# --- Who may do what: permissions, decided here for every face ------------------------------


@pytest.mark.parametrize(
    ("by", "target", "allowed"),
    [
        ("voter", "voter", False),
        ("staff without permissions", "voter", False),
        ("staff with change_user", "voter", True),
        ("staff with change_user", "staff", False),
        ("staff with change_user", "superuser", False),
        ("superuser", "staff", True),
        ("superuser", "superuser", True),
    ],
)
def test_user_may_manage_only_those_below_unless_a_superuser(by, target, allowed):
    people = {
        "voter": lambda: UserFactory(),
        "staff without permissions": lambda: staff_with(),
        "staff with change_user": lambda: staff_with("polls.change_user"),
        "staff": lambda: UserFactory(is_staff=True),
        "superuser": lambda: UserFactory(is_staff=True, is_superuser=True),
    }
    assert services.user_may_manage(by=people[by](), user=people[target]()) is allowed


@pytest.mark.parametrize("who", ["voter", "staff", "superuser"])
def test_everyone_may_manage_their_own_account_but_not_once_inactive(who):
    me = UserFactory(is_staff=who != "voter", is_superuser=who == "superuser")
    assert services.user_may_manage(by=me, user=me) is True
    me.is_active = False
    assert services.user_may_manage(by=me, user=me) is False


def test_permissions_not_held_names_what_the_granter_lacks():
    from django.contrib.auth.models import Group, Permission

    wanted = Permission.objects.filter(
        content_type__app_label="polls", codename__in=["change_poll", "delete_poll"]
    )
    staff = staff_with("polls.change_poll")
    assert [p.codename for p in services.permissions_not_held(by=staff, permissions=wanted)] == [
        "delete_poll"
    ]
    through_a_group = Group.objects.create(name="deleters")
    through_a_group.permissions.add(wanted.get(codename="delete_poll"))
    staff.groups.add(through_a_group)
    staff = User.objects.get(pk=staff.pk)  # a fresh permission cache
    assert services.permissions_not_held(by=staff, permissions=wanted) == []
    superuser = UserFactory(is_superuser=True)
    assert services.permissions_not_held(by=superuser, permissions=Permission.objects.all()) == []
