"""Log lines an attacker cannot forge: CR, LF and other control characters from request
values (webhook fields, headers) reach the log escaped, so one record is one line."""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask

from models.phone import mask_phone

# \r \n and the other C0 controls (but not tab), DEL, and the Unicode line separators.
_ESCAPES = {code: f"\\x{code:02x}" for code in (*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F)}
_ESCAPES.update({ord("\r"): "\\r", ord("\n"): "\\n", 0x2028: "\\u2028", 0x2029: "\\u2029"})


# A phone number in E.164 as a database error quotes it ("Key (phone)=(+14155550123)").
_PHONE = re.compile(r"\+\d{8,15}\b")
_FORMATTER = logging.Formatter()


def mask_phones(text: str) -> str:
    return _PHONE.sub(lambda match: mask_phone(match.group()), text)


def escape(text: str) -> str:
    return text.translate(_ESCAPES)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, (bytes, bytearray)):
        return escape(repr(bytes(value)))
    return value


class EscapeControlCharacters(logging.Filter):
    """Escapes control characters in a record's message and its arguments (tracebacks keep
    their lines: they come from the code, not from a request), and masks the phone numbers an
    exception's text quotes (a unique violation names the duplicate value)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_phones(_FORMATTER.formatException(record.exc_info))
        if isinstance(record.msg, str):
            record.msg = escape(record.msg)
        if isinstance(record.args, dict):
            record.args = {key: _clean(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_clean(value) for value in record.args)
        return True


def install(handlers: list[logging.Handler]) -> None:
    for handler in handlers:
        if not any(isinstance(f, EscapeControlCharacters) for f in handler.filters):
            handler.addFilter(EscapeControlCharacters())


def init_app(app: Flask) -> None:
    """On every handler the app's records reach: the root logger's (wsgi.py sets it up) and
    the app logger's own."""
    install([*logging.getLogger().handlers, *app.logger.handlers])
