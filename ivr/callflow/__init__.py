"""Call-flow decisions: plain functions over a Session. They never commit; the view does."""
