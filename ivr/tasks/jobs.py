"""The jobs the queue runs: each job(session, *ids) does its work once however often it runs."""

from __future__ import annotations

from ivr import ringback
from ivr.tasks import Job

# name -> (job, retries): a job that fails (the network unreachable) is tried again later.
JOBS: dict[str, tuple[Job, int]] = {
    "ring_back": (ringback.ring_back_for_outcome, 0),
}
# name -> job, run every minute by the worker's scheduler.
PERIODIC: dict[str, Job] = {}
