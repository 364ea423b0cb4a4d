"""The hospital system's census feed: movements it reports, applied to the wards they name."""

from boards.feed.apply import HIS_ACTOR, Applied, Notice, apply_event, units_of
from boards.feed.events import CensusEvent, EventKind, Person, Place

__all__ = [
    "HIS_ACTOR",
    "Applied",
    "CensusEvent",
    "EventKind",
    "Notice",
    "Person",
    "Place",
    "apply_event",
    "units_of",
]
