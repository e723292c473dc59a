"""SQLAlchemy 2.0 models: one aggregate per module, all sharing models.base.Base."""

from models.access import AccessRecord
from models.base import Base, utcnow
from models.call import Call, CallEvent
from models.callback import CallbackTask
from models.candidate import Candidate
from models.enums import (
    ROLES,
    CallbackReason,
    CallbackStatus,
    CallStatus,
    Direction,
    Disposition,
    Flow,
    OutcomeMeaning,
    OwedClosedBy,
    OwedReason,
    Role,
    Stage,
)
from models.outcome import OutcomeCode
from models.owed import OwedCall
from models.seal import CallSeal
from models.user import ApiToken, User
from models.webhook import WebhookDelivery

__all__ = [
    "AccessRecord",
    "ROLES",
    "ApiToken",
    "Base",
    "Call",
    "CallEvent",
    "CallStatus",
    "CallbackReason",
    "CallbackStatus",
    "CallSeal",
    "CallbackTask",
    "Candidate",
    "Direction",
    "Disposition",
    "Flow",
    "OutcomeCode",
    "OutcomeMeaning",
    "OwedCall",
    "OwedClosedBy",
    "OwedReason",
    "Role",
    "Stage",
    "User",
    "WebhookDelivery",
    "utcnow",
]
