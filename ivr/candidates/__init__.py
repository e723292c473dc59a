"""Candidates as records people keep: create, edit, reassign, import, search, notes.

Like call flows, these functions take a Session and never commit; the page, the API or the
command that called them commits once."""
