"""The environment readers settings.py uses (votr_project/env.py): defaults, accepted spellings,
and a refusal that names the variable and quotes what it got."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from votr_project.env import env_bool, env_int, env_list, env_rate, env_site_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), (" Yes ", True), ("ON", True), ("true", True), ("0", False), ("", False)],
)
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("VOTR_TEST_FLAG", raw)
    assert env_bool("VOTR_TEST_FLAG", default=not expected) is expected


def test_env_bool_refuses_anything_else_naming_the_variable(monkeypatch):
    monkeypatch.setenv("VOTR_TEST_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured) as caught:
        env_bool("VOTR_TEST_FLAG", default=False)
    assert str(caught.value) == (
        "VOTR_TEST_FLAG must be one of 1/0, true/false, yes/no, on/off; got 'maybe'."
    )


def test_unset_variables_take_their_defaults(monkeypatch):
    for name in ("VOTR_TEST_FLAG", "VOTR_TEST_NUMBER", "VOTR_TEST_LIST", "VOTR_TEST_RATE"):
        monkeypatch.delenv(name, raising=False)
    assert env_bool("VOTR_TEST_FLAG", default=True) is True
    assert env_int("VOTR_TEST_NUMBER", 7) == 7
    assert env_list("VOTR_TEST_LIST", default=["a"]) == ["a"]
    assert env_rate("VOTR_TEST_RATE", "5/hour") == "5/hour"


def test_env_int_treats_blank_as_unset_and_refuses_words(monkeypatch):
    monkeypatch.setenv("VOTR_TEST_NUMBER", "  ")
    assert env_int("VOTR_TEST_NUMBER", 7) == 7
    monkeypatch.setenv("VOTR_TEST_NUMBER", "a year")
    with pytest.raises(ImproperlyConfigured) as caught:
        env_int("VOTR_TEST_NUMBER", 7)
    assert str(caught.value) == "VOTR_TEST_NUMBER must be a whole number; got 'a year'."


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("VOTR_TEST_LIST", " votr.example.com, ,.herokuapp.com,")
    assert env_list("VOTR_TEST_LIST", default=[]) == ["votr.example.com", ".herokuapp.com"]


def test_env_rate_refuses_a_rate_django_rest_framework_cannot_read(monkeypatch):
    monkeypatch.setenv("VOTR_TEST_RATE", "30/fortnight")
    with pytest.raises(ImproperlyConfigured) as caught:
        env_rate("VOTR_TEST_RATE", "5/hour")
    assert str(caught.value) == (
        "VOTR_TEST_RATE must be a rate such as 30/minute (per second, minute, hour or day); "
        "got '30/fortnight'."
    )


def test_env_site_url_keeps_scheme_and_host_only(monkeypatch):
    monkeypatch.setenv("VOTR_TEST_URL", "https://votr.example.com:8443/")
    assert env_site_url("VOTR_TEST_URL", default=None) == "https://votr.example.com:8443"


def test_env_site_url_unset_without_a_default_says_what_to_set(monkeypatch):
    monkeypatch.delenv("VOTR_TEST_URL", raising=False)
    with pytest.raises(ImproperlyConfigured) as caught:
        env_site_url("VOTR_TEST_URL", default=None)
    assert str(caught.value) == (
        "VOTR_TEST_URL is not set. Set it to the site's public address, such as "
        "https://votr.example.com: account emails link to it."
    )


@pytest.mark.parametrize(
    "raw",
    ["votr.example.com", "ftp://votr.example.com", "https://u@votr.example.com", "https://x/a"],
)
def test_env_site_url_refuses_anything_but_a_scheme_and_host(monkeypatch, raw):
    monkeypatch.setenv("VOTR_TEST_URL", raw)
    with pytest.raises(ImproperlyConfigured) as caught:
        env_site_url("VOTR_TEST_URL", default=None)
    assert str(caught.value) == (
        "VOTR_TEST_URL must be the site's public address, such as https://votr.example.com "
        f"(scheme and host, no path); got {raw!r}."
    )
