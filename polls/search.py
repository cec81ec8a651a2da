"""The one rule for search text, on the pages and in the API alike (poll titles, option labels):
trimmed, at most SEARCH_MAX_LENGTH characters, and never a NUL character, which PostgreSQL
cannot take in a query. Each face tells people about a refused text its own way (the API with a
400, a page with a message), in the same words."""

SEARCH_MAX_LENGTH = 200
NUL_REFUSED = "This value contains a character that is not allowed."
TOO_LONG = f"Ensure this value has at most {SEARCH_MAX_LENGTH} characters."


class SearchTextRefused(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def search_text(raw: str) -> str:
    """`raw` as the text to search for ("" for no search), or SearchTextRefused."""
    text = raw.strip()
    if "\x00" in text:
        raise SearchTextRefused(NUL_REFUSED)
    if len(text) > SEARCH_MAX_LENGTH:
        raise SearchTextRefused(TOO_LONG)
    return text
