"""Publishing the chains' heads outside the database, so a cut-off tail can be proven later.

A head kept only in the database proves nothing about rows removed from the end of a chain:
whoever removes them can rewrite it too. AUDIT_HEADS_TARGET names somewhere else: a file path
(one JSON line appended per publication, e.g. on write-once storage) or an http(s) URL (the
same JSON POSTed, e.g. to a log service). The worker publishes periodically; `flask --app ivr
audit publish-heads` does it at once. An auditor later runs `audit verify --expect-head
TABLE=HASH` with the heads of any line."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from sqlalchemy.orm import Session

from models.audit import chain_heads

log = logging.getLogger(__name__)


class PublishError(Exception):
    """The heads could not be written to the target; str() says where and why."""


def heads_record(session: Session, now: datetime | None = None) -> dict[str, Any]:
    return {
        "published_at": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "heads": chain_heads(session),
    }


def publish_heads(session: Session, target: str) -> dict[str, Any]:
    """Append (file) or POST (URL) the current heads; returns what was published."""
    record = heads_record(session)
    line = json.dumps(record, sort_keys=True)
    if target.startswith(("http://", "https://")):
        try:
            response = requests.post(target, data=line, timeout=10,
                                     headers={"Content-Type": "application/json"})  # fmt: skip
        except requests.RequestException as exc:
            raise PublishError(f"could not reach {target}: {type(exc).__name__}") from exc
        if response.status_code >= 300:
            raise PublishError(f"{target} answered {response.status_code}")
    else:
        path = Path(target)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as out:
                out.write(line + "\n")
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            raise PublishError(f"could not write {target}: {exc.strerror}") from exc
    log.info("published chain heads to %s", target)
    return record
