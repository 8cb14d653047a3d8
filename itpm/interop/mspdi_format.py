"""The MS Project XML (MSPDI) vocabulary shared by the importer and the exporter.

MSPDI is the XML schema MS Project reads and writes ("Save as XML"). The codes below are
the schema's enumerations; units and conventions that are easy to get wrong:

- Durations are ISO 8601 durations of *working* time, ``PT16H0M0S``.
- ``LinkLag`` is in tenths of a minute (``4800`` = 8 hours); ``LagFormat`` only says how
  MS Project shows it, and whether it is elapsed (calendar) time. A percent lag
  (``LagFormat`` 19/20) holds the percent of the predecessor's duration, times ten.
- Dates are local wall-clock times without a zone.
- Assignment and resource units are fractions: ``1`` = 100 %.
"""

from __future__ import annotations

import re
from datetime import datetime

NAMESPACE = "http://schemas.microsoft.com/project"

# PredecessorLink/Type.
LINK_TYPE_FROM_CODE = {"0": "FF", "1": "FS", "2": "SF", "3": "SS"}
LINK_TYPE_TO_CODE = {value: key for key, value in LINK_TYPE_FROM_CODE.items()}

# Task/ConstraintType.
CONSTRAINT_FROM_CODE = {
    "0": "ASAP", "1": "ALAP", "2": "MSO", "3": "MFO",
    "4": "SNET", "5": "SNLT", "6": "FNET", "7": "FNLT",
}  # fmt: skip
CONSTRAINT_TO_CODE = {value: key for key, value in CONSTRAINT_FROM_CODE.items()}

# LagFormat / DurationFormat codes. 35 and above are the "estimated" (``?``) variants of
# the same unit: the code minus 32.
FORMAT_MINUTES = {"3": 1, "5": 60, "7": None, "9": None, "11": None}  # None: per-day based
ELAPSED_FORMATS = {"4", "6", "8", "10", "12", "20"}
PERCENT_FORMATS = {"19", "20"}
KNOWN_FORMATS = {str(code) for code in (3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 19, 20, 21, 53)}
FORMAT_HOURS = "5"
FORMAT_ELAPSED_HOURS = "6"
FORMAT_DAYS = "7"


def is_elapsed_format(code: str) -> bool:
    """Whether a DurationFormat/LagFormat code counts calendar time (``ed``, ``eh``, ``ed?``)."""
    if code in ELAPSED_FORMATS:
        return True
    return code.isdigit() and int(code) > 32 and str(int(code) - 32) in ELAPSED_FORMATS


# Calendar/WeekDays/WeekDay/DayType: 1 = Sunday ... 7 = Saturday; 0 = an exception
# (old style, before the Exceptions element of Project 2007).
# Python's weekday() has Monday = 0.
def weekday_from_day_type(day_type: int) -> int:
    return (day_type + 5) % 7


def day_type_from_weekday(weekday: int) -> int:
    return (weekday + 1) % 7 + 1


# Calendar exception Type (Project 2007 and later).
EXCEPTION_DAILY = "1"
EXCEPTION_YEARLY_BY_DAY = "2"
EXCEPTION_YEARLY_BY_POSITION = "3"
EXCEPTION_MONTHLY_BY_DAY = "4"
EXCEPTION_MONTHLY_BY_POSITION = "5"
EXCEPTION_WEEKLY = "6"
EXCEPTION_EVERY_N_DAYS = "7"

# Resource/Type.
RESOURCE_MATERIAL = "0"
RESOURCE_WORK = "1"
RESOURCE_COST = "2"

# Assignment/ResourceUID of "no resource" (MS Project's placeholder).
UNASSIGNED_RESOURCE_UID = "-65535"

_DURATION = re.compile(
    r"-?P(?:(?P<years>\d+(?:\.\d+)?)Y)?(?:(?P<months>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?"
)


def parse_duration_minutes(text: str, *, minutes_per_day: int = 480) -> float:
    """Working minutes of an MSPDI duration (``PT8H30M0S``; days count ``minutes_per_day``).

    Raises ValueError for text that is not an ISO 8601 duration.
    """
    text = text.strip()
    match = _DURATION.fullmatch(text)
    if not match or text in ("P", "PT", "-P"):
        raise ValueError(text)
    parts = {key: float(value) if value else 0.0 for key, value in match.groupdict().items()}
    minutes = (
        parts["days"] * minutes_per_day
        + parts["hours"] * 60
        + parts["minutes"]
        + parts["seconds"] / 60
        # MS Project never writes years or months in a duration; if a tool does, a month
        # is 20 working days and a year 12 months, MS Project's own defaults.
        + parts["months"] * 20 * minutes_per_day
        + parts["years"] * 12 * 20 * minutes_per_day
    )
    return -minutes if text.startswith("-") else minutes


def format_duration_hours(hours: int) -> str:
    return f"PT{hours}H0M0S"


def format_duration_minutes(minutes: int) -> str:
    """``PT7H30M0S`` for 450 minutes."""
    return f"PT{minutes // 60}H{minutes % 60}M0S"


def parse_datetime(text: str) -> datetime:
    """An MSPDI date (``2018-10-18T08:00:00``), naive: the file's wall clock."""
    value = datetime.fromisoformat(text.strip())
    return value.replace(tzinfo=None)


def format_datetime(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S")
