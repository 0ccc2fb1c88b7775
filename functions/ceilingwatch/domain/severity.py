"""Alert levels, and a notification's severity: the levels, health and notices, in one table."""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import NamedTuple


class Level(IntEnum):
    """How close the calls came to the ceiling; ordered, so a rise is `new > old`."""

    OK = 0
    WARNING = 1
    CRITICAL = 2
    AT_LIMIT = 3

    @property
    def alerting(self) -> bool:
        return self is not Level.OK


class Severity(StrEnum):
    """What subscription filters, colours and routing key on; the values are the stored words."""

    OK = "OK"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"
    AT_LIMIT = "AT_LIMIT"
    ERROR = "ERROR"
    NO_DATA = "NO_DATA"
    TEST = "TEST"
    INFO = "INFO"
    CONFIG = "CONFIG"

    @classmethod
    def _missing_(cls, value: object) -> Severity:
        # A stored or configured word this code does not know is a fault to name, not a guess.
        raise ValueError(f"unknown severity {value!r}: expected one of {', '.join(cls)}")

    @classmethod
    def of(cls, level: Level) -> Severity:
        return cls(level.name)

    @property
    def level(self) -> Level | None:
        """The alert level this severity is, or None for the health and notice severities."""
        return _TRAITS[self].level

    @property
    def rank(self) -> Level:
        """Where routing puts it: health, test and notice severities rank above every level."""
        level = self.level
        return Level.AT_LIMIT if level is None else level

    @property
    def emoji(self) -> str:
        return _TRAITS[self].emoji

    @property
    def colour(self) -> str:
        """The ANSI SGR colour a terminal shows it in."""
        return _TRAITS[self].colour

    @property
    def spoken(self) -> str:
        """As a sentence says it: 'AT LIMIT'."""
        return self.value.replace("_", " ")


class _Traits(NamedTuple):
    """How a severity looks: its level, its emoji, its terminal colour."""

    level: Level | None
    emoji: str
    colour: str


NOTICE_COLOUR = "36"  # cyan: what is not a level (health, tests, notices) in a terminal

_TRAITS = {
    Severity.OK: _Traits(Level.OK, "✅", "32"),
    Severity.WARNING: _Traits(Level.WARNING, "🟡", "33"),
    Severity.CRITICAL: _Traits(Level.CRITICAL, "🟠", "35"),
    Severity.AT_LIMIT: _Traits(Level.AT_LIMIT, "🔴", "31"),
    Severity.ERROR: _Traits(None, "⚠️", NOTICE_COLOUR),
    Severity.NO_DATA: _Traits(None, "❔", NOTICE_COLOUR),
    Severity.TEST: _Traits(None, "🧪", NOTICE_COLOUR),
    Severity.INFO: _Traits(None, "📈", NOTICE_COLOUR),
    Severity.CONFIG: _Traits(None, "🛠️", NOTICE_COLOUR),
}
