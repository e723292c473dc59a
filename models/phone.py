"""Phone numbers in, E.164 out: every number the system stores passes through here."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "US"
# Numbers normalised moments ago, E.164 -> parsed: a model's validator and the timezone lookup
# then reuse the parse the form or the import just did (an import of 100,000 rows would
# otherwise parse every number three times). An E.164 string normalize_phone returned is its
# own normal form under any region, so finding it here is as good as checking it again.
_RECENT: dict[str, phonenumbers.PhoneNumber] = {}
_RECENT_MAX = 4096


class InvalidPhoneNumber(ValueError):
    """The text is not a dialable number; str() says why in words a user understands."""


def normalize_phone(raw: str | None, default_region: str = DEFAULT_REGION) -> str:
    text = (raw or "").strip()
    if not text:
        raise InvalidPhoneNumber("a phone number is required")
    if text in _RECENT:
        return text
    try:
        parsed = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(f"{text!r} is not a phone number ({exc._msg})") from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber(f"{text!r} is not a valid phone number")
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if len(_RECENT) >= _RECENT_MAX:
        _RECENT.clear()
    _RECENT[e164] = parsed
    return e164


def parse_e164(e164: str) -> phonenumbers.PhoneNumber:
    """A stored (E.164) number as phonenumbers sees it; a recently normalised one from memory."""
    parsed = _RECENT.get(e164)
    return parsed if parsed is not None else phonenumbers.parse(e164, None)


def mask_phone(e164: str | None) -> str:
    """+14155550123 -> +*******0123, wherever a number is masked (logs, exports, someone
    else's candidate): the last four digits tell numbers apart; the rest is starred, so
    nobody can dial it or place it."""
    if not e164:
        return ""
    return "+" + "*" * max(0, len(e164) - 5) + e164[-4:]
