"""SQLAlchemy 2.0 models: one aggregate per module, all sharing models.base.Base."""

from models.access import AccessRecord
from models.base import Base, utcnow
from models.call import ACTIVE_STATUSES, STATUS_RANK, TERMINAL_STATUSES, Call, CallEvent
from models.callback import CallbackTask
from models.candidate import Candidate
from models.outcome import OutcomeCode
from models.user import ROLES, ApiToken, User

__all__ = [
    "AccessRecord",
    "ACTIVE_STATUSES",
    "ROLES",
    "STATUS_RANK",
    "TERMINAL_STATUSES",
    "ApiToken",
    "Base",
    "Call",
    "CallEvent",
    "CallbackTask",
    "Candidate",
    "OutcomeCode",
    "User",
    "utcnow",
]
