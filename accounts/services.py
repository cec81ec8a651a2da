"""Accounts: staff creating one, the public sign-up and its activation, password resets,
deactivation, and the account emails the worker sends (polls/tasks.py calls the senders)."""

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from rest_framework.authtoken.models import Token

from polls.models import AuditEntry
from polls.services.audit import audit_record
from polls.services.errors import NotAllowed
from polls.services.notifications import send_account_email
from polls.services.permissions import CHANGE_USER, user_may_manage
from polls.services.publishing import (
    SEND_ACTIVATION_EMAIL_TASK,
    SEND_PASSWORD_RESET_TASK,
    SEND_SIGNUP_NOTICE_TASK,
    task_publish_on_commit,
)
from polls.tokens import (
    activation_link,
    activation_token_generator,
    password_reset_context,
    user_from_uidb64,
)

from .tokens import user_tokens_forget

User = get_user_model()


def _account_errors(
    *, username, email, password, other_than: int | None = None
) -> tuple[str, str, dict[str, list[str]]]:
    """The cleaned username and email, and the problems with a new account's details, per
    field. The email is only checked for its form; `other_than` is an account whose username
    does not count as taken (the one being signed up again)."""
    username = username.strip() if isinstance(username, str) else ""
    email = User.objects.normalize_email(email.strip() if isinstance(email, str) else "")
    errors: dict[str, list[str]] = {"username": [], "email": [], "password": []}

    username_field = User._meta.get_field("username")
    try:
        username_field.clean(username, None)
    except ValidationError as error:
        errors["username"] += error.messages
    taken = User.objects.filter(username__iexact=username).exclude(pk=other_than)
    if username and taken.exists():
        errors["username"].append("That username is taken.")

    try:
        validate_email(email)
    except ValidationError:
        errors["email"].append("Enter a valid email address.")

    if not isinstance(password, str) or not password:
        errors["password"].append("Choose a password.")
    else:
        try:
            password_validation.validate_password(password, User(username=username, email=email))
        except ValidationError as error:
            errors["password"] += error.messages
    return username, email, errors


def _new_account(*, username, email, password) -> tuple[str, str, dict[str, list[str]]]:
    username, email, errors = _account_errors(username=username, email=email, password=password)
    if email and User.objects.filter(email__iexact=email).exists():
        errors["email"].append("An account with that email already exists.")
    return username, email, {field: messages for field, messages in errors.items() if messages}


def user_create_errors(*, username, email, password) -> dict[str, list[str]]:
    """What user_create would refuse, per field (`username`, `email`, `password`), written
    nowhere: a form calls it from clean() and leaves the write to its save."""
    return _new_account(username=username, email=email, password=password)[2]


def user_create(*, username: str, email: str, password: str) -> User:
    """Create an active account (staff, in the admin). Raises ValidationError with messages
    under `username`, `email` and `password`; usernames and emails are unique ignoring case.
    The public sign-up is user_signup, which never says whether an address has an account."""
    username, email, errors = _new_account(username=username, email=email, password=password)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return User.objects.create_user(username=username, email=email, password=password)
    except IntegrityError:
        # Another sign-up took the name or address between the check and the insert.
        raise ValidationError(
            {"username": ["That username or email was just taken. Try another."]}
        ) from None


def user_signup(*, username: str, email: str, password: str) -> None:
    """Sign a voter up, answering the same whether or not the address has an account.

    A new address gets an inactive account and an activation link by email. An address whose
    account was never activated gets that account back with these details, and a new link
    (the old links stop working, since the password changed). An address with an account gets
    a notice instead, and nothing is created. The emails are sent by the worker, from the
    account's id (never from here, so the answer takes as long either way).
    Raises ValidationError under `username`, `email` and `password`; a taken username is said
    (usernames are public), a taken address never is."""
    normalized = User.objects.normalize_email(email.strip() if isinstance(email, str) else "")
    existing = User.objects.filter(email__iexact=normalized).first() if normalized else None
    # Never an active account, even one staff switched on without clearing the flag.
    waiting = existing is not None and existing.activation_pending and not existing.is_active
    pending = existing if waiting else None
    pending_pk = pending.pk if pending else None
    username, email, errors = _account_errors(
        username=username, email=email, password=password, other_than=pending_pk
    )
    errors = {field: messages for field, messages in errors.items() if messages}
    if errors:
        raise ValidationError(errors)

    if existing is not None and pending is None:
        # As slow as creating an account: the hash is the costly part of both answers.
        make_password(password)
        task_publish_on_commit(name=SEND_SIGNUP_NOTICE_TASK, args=[existing.pk])
        return
    try:
        with transaction.atomic():
            if pending is None:
                user = User.objects.create_user(
                    username=username,
                    email=email,
                    password=password,
                    is_active=False,
                    activation_pending=True,
                )
            else:
                user = pending
                user.username = username
                user.set_password(password)
                User.objects.filter(pk=user.pk, activation_pending=True, is_active=False).update(
                    username=user.username, password=user.password
                )
    except IntegrityError:
        # Another sign-up took the name or the address between the check and the insert.
        if User.objects.filter(username__iexact=username).exclude(pk=pending_pk).exists():
            raise ValidationError({"username": ["That username is taken."]}) from None
        existing = User.objects.filter(email__iexact=email).first()
        if existing is not None:
            task_publish_on_commit(name=SEND_SIGNUP_NOTICE_TASK, args=[existing.pk])
        return
    task_publish_on_commit(name=SEND_ACTIVATION_EMAIL_TASK, args=[user.pk])


WRONG_ACTIVATION_PASSWORD = "That is not the password this account was signed up with."  # noqa: S105


def user_awaiting_activation(*, uidb64: str, token: str) -> User | None:
    """The account an emailed activation link names, if the link is valid: made for this
    account's current state, not expired (settings.PASSWORD_RESET_TIMEOUT), and not used.
    None for a used, expired or forged link. Changes nothing (a mail scanner opening the
    link uses nothing up)."""
    user = user_from_uidb64(uidb64)
    if user is None or not user.activation_pending or user.is_active:
        return None
    if not activation_token_generator.check_token(user, token):
        return None
    return user


def user_activate(*, uidb64: str, token: str, password: str) -> User | None:
    """Activate the account an emailed link names, given the password chosen at sign-up: only
    whoever signed up knows it, so someone who signs up with another person's address cannot
    have that person switch the account on. Returns the account, or None for a used, expired
    or forged link; a wrong password raises ValidationError under `password`. Only one of two
    concurrent calls activates."""
    user = user_awaiting_activation(uidb64=uidb64, token=token)
    if user is None:
        return None
    if not isinstance(password, str) or not user.check_password(password):
        raise ValidationError({"password": [WRONG_ACTIVATION_PASSWORD]})
    activated = User.objects.filter(pk=user.pk, activation_pending=True, is_active=False).update(
        is_active=True, activation_pending=False
    )
    if not activated:
        return None
    user.is_active, user.activation_pending = True, False
    return user


def _password_reset_account(email) -> User | None:
    email = email.strip() if isinstance(email, str) else ""
    return User.objects.filter(email__iexact=email, is_active=True).first() if email else None


def password_reset_target(*, email: str) -> str:
    """What the per-target reset limit counts for an asked-for address: the stored address of
    the account it finds (the lookup ignores case in the database, so every spelling that finds
    one account is one target), else the address as typed, normalised."""
    user = _password_reset_account(email)
    if user is not None:
        return user.email
    return User.objects.normalize_email(email.strip() if isinstance(email, str) else "")


def password_reset_request(*, email: str) -> None:
    """Queue the password reset email for the active account with this address; the worker
    writes and sends it (password_reset_send). Exactly one message is published either way,
    naming the account or 0 for none, so neither the answer nor a slow broker tells the caller
    whether there was one."""
    user = _password_reset_account(email)
    matched = user is not None and user.has_usable_password()
    task_publish_on_commit(name=SEND_PASSWORD_RESET_TASK, args=[user.pk if matched else 0])


def _account_to_mail(user_id: int, **state) -> User | None:
    return User.objects.filter(pk=user_id, **state).exclude(email="").first()


def user_send_activation(*, user_id: int) -> bool:
    """Email the activation link to an account still waiting for it (in the worker: the link
    is made here). A deleted or already active account is left alone. True if sent."""
    user = _account_to_mail(user_id, activation_pending=True, is_active=False)
    if user is None:
        return False
    return send_account_email(
        user=user,
        subject_template="registration/activation_subject.txt",
        body_template="registration/activation_email.txt",
        context={"link": activation_link(user)},
    )


def user_send_signup_notice(*, user_id: int) -> bool:
    """Tell an account's owner someone tried to sign up with their address (in the worker).
    A deleted account, or one still waiting for activation, is left alone. True if sent."""
    user = _account_to_mail(user_id)
    if user is None or (user.activation_pending and not user.is_active):
        return False
    return send_account_email(
        user=user,
        subject_template="registration/signup_notice_subject.txt",
        body_template="registration/signup_notice_email.txt",
        context={},
    )


def password_reset_send(*, user_id: int) -> bool:
    """Email a password reset link (in the worker: the link is made here, as Django's
    PasswordResetForm makes it). No account (0, an address without one), or one deleted,
    inactive, or without a usable password gets nothing. True if sent."""
    user = _account_to_mail(user_id, is_active=True) if user_id else None
    if user is None or not user.has_usable_password():
        return False
    return send_account_email(
        user=user,
        subject_template="registration/password_reset_subject.txt",
        body_template="registration/password_reset_email.html",
        context=password_reset_context(user),
    )


def user_deactivate(*, user: User, by: User) -> bool:
    """Stop `user` from logging in (their polls and ballots stay). It takes polls.change_user;
    nobody can deactivate themselves, and only a superuser can deactivate a member of staff or
    a superuser (user_may_manage). Idempotent: returns True only for the call that deactivated
    them. Records it in the audit log."""
    if not by.has_perm(CHANGE_USER):
        raise NotAllowed("Only staff can deactivate a user.")
    if user.pk == by.pk:
        raise NotAllowed("You cannot deactivate your own account.")
    if not user_may_manage(by=by, user=user):
        raise NotAllowed("Only a superuser can deactivate a member of staff or a superuser.")
    with transaction.atomic():
        # A sign-up still waiting for its activation link is stopped too: the link must not
        # switch on an account staff turned off.
        stoppable = Q(is_active=True) | Q(activation_pending=True)
        if not User.objects.filter(stoppable, pk=user.pk).update(
            is_active=False, activation_pending=False
        ):
            return False
        user.is_active, user.activation_pending = False, False
        # An UPDATE sends no post_save: the cached token lookups are dropped here.
        user_tokens_forget(user_id=user.pk)
        audit_record(actor=by, action=AuditEntry.Action.DEACTIVATE, obj=user)
    return True


def user_password_changed(*, user: User) -> int:
    """Call after `user`'s password changed or was reset, from any face (the password pages,
    the admin): revokes their API tokens, as Django's session hash ends their other sessions.
    Returns how many tokens were revoked."""
    revoked, _ = Token.objects.filter(user_id=user.pk).delete()
    return revoked
