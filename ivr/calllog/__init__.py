"""Reading the call log, for the pages and the API: filters, pages, export, access records."""

from ivr.calllog.access import record_access
from ivr.calllog.export import CSV_COLUMNS, csv_response, export_rows, notes_by_call
from ivr.calllog.filters import DIRECTIONS, STATUSES, CallFilter, FilterError, filtered
from ivr.calllog.pages import (
    Page,
    decode_cursor,
    encode_cursor,
    page_of_calls,
    parse_limit,
    readable_call,
)
from ivr.calllog.reads import record_read

__all__ = [
    "CSV_COLUMNS",
    "DIRECTIONS",
    "STATUSES",
    "CallFilter",
    "FilterError",
    "Page",
    "csv_response",
    "decode_cursor",
    "encode_cursor",
    "export_rows",
    "filtered",
    "notes_by_call",
    "page_of_calls",
    "parse_limit",
    "readable_call",
    "record_access",
    "record_read",
]
