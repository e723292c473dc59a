"""A local stand-in for Twilio Programmable Voice: REST calls, TwiML and signed webhooks."""

from simulator.engine import (
    Chaos,
    LegSnapshot,
    Recording,
    SentRequest,
    SimClock,
    Simulator,
    SimulatorError,
)

__all__ = [
    "Chaos",
    "LegSnapshot",
    "Recording",
    "SentRequest",
    "SimClock",
    "Simulator",
    "SimulatorError",
]
