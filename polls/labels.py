"""When two option labels are the same label: one function, label_key, decides it for the rule
in polls/services/checks.py and for the database's unique constraint on Option.label_key alike.

Pure Python and ICU, no Django models, so that migrations can import it.
"""

import hashlib
import unicodedata

import icu

# Keys are stored, so they have a bound. Most keys are about as long as their label, but NFKC
# and the confusable skeleton can expand one character into many (U+FDFA becomes 18), so a key
# longer than this keeps a prefix and a digest of the whole key: still equal exactly when the
# full keys are equal, and small enough for any database's index.
LABEL_KEY_MAX_LENGTH = 400
_DIGEST_SEPARATOR = "#"

# Thread-safe for getSkeleton once built (ICU's uspoof documentation).
_SPOOF_CHECKER = icu.SpoofChecker()


def _is_invisible(character: str) -> bool:
    return unicodedata.category(character) == "Mn" or icu.Char.hasBinaryProperty(
        character, icu.UProperty.DEFAULT_IGNORABLE_CODE_POINT
    )


def label_key(label: str) -> str:
    """The key under which `label` is unique in its poll: labels that differ only by case,
    compatibility forms, invisible characters, combining accents or characters that look alike
    (Unicode's confusable skeletons, UTS #39) have the same key. Empty for a label that shows
    nothing.

    The order matters. The skeleton maps look-alikes to a prototype per case (capital "I" to
    "l" but small "i" to "i"; Greek capital "Υ" to "Y" but small "υ" to "u"), so case is unified
    before it by upper-casing, which keeps capital look-alikes, such as Greek capitals, mapping
    to Latin capitals; casefolding after it joins what the skeleton left in two cases. Accents
    and invisible characters go last, since the steps before may decompose characters into
    them.
    """
    text = unicodedata.normalize("NFKC", label).upper()
    folded = _SPOOF_CHECKER.getSkeleton(0, text).casefold()
    key = "".join(
        character
        for character in unicodedata.normalize("NFD", folded)
        if not _is_invisible(character)
    )
    if len(key) > LABEL_KEY_MAX_LENGTH:
        digest = hashlib.sha256(key.encode()).hexdigest()
        prefix = key[: LABEL_KEY_MAX_LENGTH - len(digest) - len(_DIGEST_SEPARATOR)]
        key = f"{prefix}{_DIGEST_SEPARATOR}{digest}"
    return key
