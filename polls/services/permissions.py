"""Who may do what: Django's model permissions, the same in every face.

A poll's author closes, reschedules and (while nobody has voted) deletes it without any
permission; doing so to anyone else's poll is a staff power that needs the model permission.
A superuser holds every permission; an inactive user holds none.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from ..models import Poll

User = get_user_model()


CHANGE_POLL = "polls.change_poll"
DELETE_POLL = "polls.delete_poll"
DELETE_BALLOT = "polls.delete_ballot"
CHANGE_USER = "polls.change_user"


def _may_change_poll(by: User, poll: Poll) -> bool:
    return by.pk == poll.author_id or by.has_perm(CHANGE_POLL)


def user_may_change_poll(*, by: User, poll: Poll) -> bool:
    """Whether `by` may close, reopen, extend and edit `poll` (what the poll's pages offer)."""
    return by.is_authenticated and _may_change_poll(by, poll)


def user_may_delete_poll(*, by: User, poll: Poll, voted: bool) -> bool:
    """Whether poll_delete lets `by` delete `poll`, in which someone has voted or not."""
    if not by.is_authenticated:
        return False
    return (by.pk == poll.author_id and not voted) or by.has_perm(DELETE_POLL)


def user_may_manage(*, by: User, user: User) -> bool:
    """Whether `by` may change `user`'s account: password, email, username, active/staff/
    superuser flags, groups, permissions. Everyone may change their own; anyone else's needs
    polls.change_user, and another member of staff's or a superuser's needs a superuser."""
    if not by.is_active:
        return False
    if by.pk == user.pk:
        return True
    if not by.has_perm(CHANGE_USER):
        return False
    return by.is_superuser or not (user.is_staff or user.is_superuser)


def permissions_not_held(*, by: User, permissions) -> list[Permission]:
    """Of `permissions` (Permission rows), those `by` does not hold and so may not grant, to a
    user directly or to a group (whose members all get them). A superuser holds all."""
    permissions = list(permissions)
    if by.is_active and by.is_superuser:
        return []
    held = by.get_all_permissions() if by.is_active else set()
    return [
        permission
        for permission in Permission.objects.filter(
            pk__in=[permission.pk for permission in permissions]
        ).select_related("content_type")
        if f"{permission.content_type.app_label}.{permission.codename}" not in held
    ]
