import subprocess
import sys

import pytest

from polls.labels import LABEL_KEY_MAX_LENGTH, label_key
from polls.models import LABEL_MAX_LENGTH

# Each group: labels that must count as one label in a poll.
SAME = [
    pytest.param(["Yes", "YES", "yes", "yEs"], id="case"),
    pytest.param(["Yes", "\u03a5es", "\u03a5ES"], id="greek-capital-upsilon"),
    pytest.param(["Yes", "Ye\u200bs", "\u2060Yes", "Y\u00ades"], id="invisible-characters"),
    pytest.param(["Yes", "Ye\u0301s", "Y\u00e9s", "YE\u0301S"], id="combining-accent"),
    pytest.param(["Yes", "\uff39\uff45\uff53"], id="fullwidth-compatibility"),
    pytest.param(["I", "\u0130", "i", "\u0131"], id="dotted-and-dotless-i"),
    pytest.param(["Stra\u00dfe", "STRASSE", "strasse"], id="sharp-s"),
    pytest.param(["\u2764\ufe0f", "\u2764"], id="emoji-variation-selector"),
    pytest.param(["Paypal", "\u0420aypal", "PAYPAL"], id="cyrillic-capital-er"),
]

# Each pair: clearly different labels that must stay different.
DIFFERENT = [
    ("Yes", "No"),
    ("12:00", "12:30"),
    ("Rust", "Go"),
    ("C", "C++"),
    ("Tea", "Coffee"),
    ("Option 1", "Option 2"),
    ("A", "B"),
    ("1", "2"),
    ("Caf\u00e9", "Cafe au lait"),
]


@pytest.mark.parametrize("labels", SAME)
def test_labels_that_look_alike_share_one_key(labels):
    keys = {label_key(label) for label in labels}

    assert len(keys) == 1, {label: label_key(label) for label in labels}


@pytest.mark.parametrize(("first", "second"), DIFFERENT)
def test_clearly_different_labels_keep_different_keys(first, second):
    assert label_key(first) != label_key(second)


def test_twenty_numbered_options_keep_twenty_keys():
    labels = [f"Option {number}" for number in range(1, 21)] + [str(n) for n in range(1, 21)]

    assert len({label_key(label) for label in labels}) == len(labels)


@pytest.mark.parametrize("label", ["\u200b", "\u0301", "\u200b\u2060\ufe0f", "\u00ad"])
def test_a_label_that_shows_nothing_has_an_empty_key(label):
    assert label_key(label) == ""


def test_the_longest_expansion_still_fits_the_stored_key():
    # U+FDFA is the character whose key is longest (18 characters): 100 of them give 1,800.
    worst = "\ufdfa" * LABEL_MAX_LENGTH
    almost = "\ufdfa" * (LABEL_MAX_LENGTH - 1) + "x"

    assert len(label_key(worst)) <= LABEL_KEY_MAX_LENGTH
    assert len(label_key(almost)) <= LABEL_KEY_MAX_LENGTH
    assert label_key(worst) == label_key(worst)
    assert label_key(worst) != label_key(almost)  # same prefix, different whole keys


def test_a_key_that_fits_is_kept_readable():
    label = "\U0001f600" * LABEL_MAX_LENGTH  # astral characters: one character each

    assert label_key(label) == label


def test_the_key_function_imports_without_django():
    """Migrations import it: it must not need Django's models (nor settings)."""
    code = "import sys, polls.labels; print(any(m.startswith('django') for m in sys.modules))"

    result = subprocess.run(  # noqa: S603 (our own interpreter, fixed code)
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )

    assert result.stdout.strip() == "False"
