"""Team routing for inbound calls: who may stand where in the hunt group. One rule, used when a
user is added and when one is changed, so no surface can put the hunt into a state it cannot
ring (a non-recruiter in it, two people at one position, nobody's phone to ring)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Role, User

HUNT_ORDER_MIN, HUNT_ORDER_MAX = 1, 99


def hunt_order_refusal(
    session: Session,
    *,
    user_id: int | None,
    role: str,
    hunt_order: int | None,
    phone: str | None,
) -> str | None:
    """Why `hunt_order` cannot be this user's (None: it can, or there is none to check).
    `user_id` is None for a user not yet added."""
    if hunt_order is None:
        return None
    if not HUNT_ORDER_MIN <= hunt_order <= HUNT_ORDER_MAX:
        return f"a hunt order is a number from {HUNT_ORDER_MIN} to {HUNT_ORDER_MAX}"
    if role != Role.RECRUITER:
        return (
            f"only recruiters take inbound calls, so an {role} cannot have a hunt order; "
            "clear the hunt order"
        )
    if not phone:
        return "a recruiter in the hunt group needs a phone number to ring"
    stmt = select(User).where(User.hunt_order == hunt_order)
    if user_id is not None:
        stmt = stmt.where(User.id != user_id)
    holder = session.scalar(stmt.order_by(User.id).limit(1))
    if holder is not None:
        return (
            f"hunt order {hunt_order} is already {holder.name}'s; "
            "pick another number or clear theirs first"
        )
    return None
