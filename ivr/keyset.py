"""Keyset pages for the call log and the candidate search: page sizes, cursors, bad arguments."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# Far longer than any cursor given out (a sort key, an id and a flag).
MAX_CURSOR_LENGTH = 1000


class ListingError(ValueError):
    """An argument the caller sent cannot be used; str() names the field and what is wrong."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def whole_number(raw: str | None, low: int, high: int) -> int | None:
    """`raw` as a whole number from low to high, or None: only plain ASCII digits count
    (str.isdigit() takes "²", which int() refuses), and never more of them than `high` has."""
    if not raw or len(raw) > len(str(high)) or not (raw.isascii() and raw.isdigit()):
        return None
    number = int(raw)
    return number if low <= number <= high else None


def parse_limit(raw: str | None, error: type[ListingError] = ListingError) -> int:
    """How many rows a page holds: PAGE_SIZE unless the caller asks for 1 to MAX_PAGE_SIZE."""
    if not raw:
        return PAGE_SIZE
    # isascii(): str.isdigit() takes "²", which int() then refuses.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 3 or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise error("limit", f"must be a whole number from 1 to {MAX_PAGE_SIZE}")
    return int(raw)


# A cursor holds the sort key of the last row served, and the next page starts strictly after
# it: rows added meanwhile never shift a page (no skips, no repeats).
def encode_cursor(key: dict[str, Any]) -> str:
    raw = json.dumps(key).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> Any:
    """What encode_cursor encoded; ValueError for anything else (the caller checks its shape),
    a token too long or nested too deep for json to read included."""
    if len(token) > MAX_CURSOR_LENGTH:
        raise ValueError("not a cursor")
    try:
        return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, UnicodeDecodeError, RecursionError) as exc:
        raise ValueError("not a cursor") from exc
