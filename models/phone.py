"""Phone numbers in, E.164 out: every number the system stores passes through here."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "US"


class InvalidPhoneNumber(ValueError):
    """The text is not a dialable number; str() says why in words a user understands."""


def normalize_phone(raw: str | None, default_region: str = DEFAULT_REGION) -> str:
    text = (raw or "").strip()
    if not text:
        raise InvalidPhoneNumber("a phone number is required")
    try:
        parsed = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(f"{text!r} is not a phone number ({exc._msg})") from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber(f"{text!r} is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str | None) -> str:
    """+14155550123 -> +1415***0123: enough to tell numbers apart, not enough to dial."""
    if not e164:
        return ""
    return e164[:5] + "*" * max(0, len(e164) - 9) + e164[-4:]
