"""CSV and XLSX import and export of a project's tasks.

Export writes one row per task in WBS order with an ``ID`` column (1..n) that the
``Predecessors`` column refers to, as MS Project does (``3FS+2d``). Import reads the same
shape from any spreadsheet: headers are recognised by name (the mapping can be overridden),
every row is checked first (the dry run gives row, column and message for each problem),
and only a file without a single error is written, in one transaction, followed by one
reschedule of the project.

Export also writes each task's ``Key`` (its database id) and ``Version``. On import, a row
whose key names a task of the same project updates that task (only from the columns the
file has); a row without a key creates a task; a key of no task of this project is a row
error, whatever another project holds. A ``Version`` older than the task's is a row error
too, so a spreadsheet edited while someone changed the plan cannot overwrite their work.

A split task's pauses travel in the ``Splits`` column as ``after:pause`` working hours,
``"16:24, 40:8"`` (the work stops after 16 hours for 24 hours, and again after 40 for 8),
the text the task form shows (``itpm.planning.splits``). An empty cell is no pause; a
column left out of the file keeps the tasks' pauses on update.

"3d" and "2w" count in the project calendar's working day (the sum of its daily periods)
and week (its working days), and export writes days in the same unit, so a round trip is
lossless; "h" is always exact. Durations are kept to the minute (``Task.duration_minutes``:
"3d" of a 7.5-hour day is 22 h 30); export writes whole days as "3d", whole hours as "22h"
and anything else as the plan shows it, "22h30", which the import reads back. Lags stay
whole hours. An elapsed duration (real time, day and night: ``Task.elapsed``) is written
and read with MS Project's "e" units: "72eh", "3ed", "1ew", "90em".

Cells are protected from formula injection on the way out: a text cell that a spreadsheet
would run as a formula (it starts with ``= + - @``, a tab or a carriage return) gets a
leading apostrophe. The import removes that apostrophe again, so a round trip is lossless.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from itpm.accounts.models import Role, User
from itpm.accounts.permissions import require_role
from itpm.core.errors import Conflict, FieldError, Invalid
from itpm.core.models import AuditEvent
from itpm.core.services import apply_changes, audit, save_versioned
from itpm.planning.durations import MAX_DURATION_HOURS, duration_text, exact_minutes, stored
from itpm.planning.models import (
    DATED_CONSTRAINTS,
    Assignment,
    ConstraintType,
    Dependency,
    DependencyType,
    Resource,
    Task,
    TaskStatus,
)
from itpm.planning.scheduling import deferred_rescheduling
from itpm.planning.services import MAX_LAG_HOURS, wbs_renumber
from itpm.planning.splits import normalize_splits, parse_splits_text, splits_text, within
from itpm.portfolio.models import Project

# A working day when nothing better is known (a task's default duration, a calendar
# without periods). Import and export use the project calendar's day instead.
HOURS_PER_DAY = 8
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
# An XLSX is a zip: refuse one that would unpack to far more than it weighs (a zip bomb).
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
WRITE_CHUNK = 500

Progress = Callable[[str, int, int], None]

# field key -> (column header on export, other header spellings recognised on import)
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "id": ("ID", ("unique id", "row", "#", "task id")),
    "wbs": ("WBS", ("wbs code", "outline number", "code")),
    "outline_level": ("Outline level", ("level", "lvl", "outline", "indent")),
    "name": ("Name", ("task name", "task", "title", "summary")),
    "duration": ("Duration", ("dur", "duration (days)", "work")),
    "start": ("Start", ("start date", "begin")),
    "finish": ("Finish", ("finish date", "end", "end date", "due")),
    "milestone": ("Milestone", ("is milestone",)),
    "constraint_type": ("Constraint type", ("constraint",)),
    "constraint_date": ("Constraint date", ()),
    "deadline": ("Deadline", ()),
    "predecessors": ("Predecessors", ("predecessor", "depends on", "dependencies")),
    "resources": ("Resources", ("resource names", "resource", "assigned to")),
    "percent_complete": ("% complete", ("percent complete", "% done", "progress", "complete")),
    "status": ("Status", ("state",)),
    "priority": ("Priority", ()),
    "notes": ("Notes", ("description", "note", "comments")),
    "splits": ("Splits", ("split", "pauses", "split task")),
    # Identify an existing task of the project (its database id) and the version exported.
    "key": ("Key", ("uid", "task key", "itpm key")),
    "version": ("Version", ("row version",)),
}
FIELD_KEYS = tuple(COLUMNS)
# Start and finish are exported for people to read; the schedule is computed from
# durations, links and constraints, so an import ignores them unless a column is mapped
# to them on purpose (then a start becomes "start no earlier than").
IMPORTED_BY_DEFAULT = set(FIELD_KEYS) - {"start", "finish"}
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\x09", "\x0d")
_TRUE = {"yes", "y", "true", "1", "x", "ja", "oui"}
_FALSE = {"no", "n", "false", "0", "", "nein", "non"}


# ---------------------------------------------------------------------------- working time
@dataclass(frozen=True)
class WorkingTime:
    """What "1d" and "1w" mean in a project: its calendar's working minutes per day
    (minutes, so a 7.5-hour day stays exact) and working days per week."""

    minutes_per_day: int = HOURS_PER_DAY * 60
    days_per_week: int = 5


STANDARD_TIME = WorkingTime()


def project_working_time(project: Project) -> WorkingTime:
    """The working day and week of the project's calendar (the default one when it has none)."""
    from itpm.planning.scheduling import DEFAULT_WORKING_DAYS, DEFAULT_WORKING_HOURS

    calendar = project.calendar
    periods = (calendar.working_hours if calendar else None) or DEFAULT_WORKING_HOURS
    days = (calendar.working_days if calendar else None) or DEFAULT_WORKING_DAYS
    minutes = 0
    for start, finish in periods:
        start_h, start_m = (int(x) for x in str(start).split(":"))
        finish_h, finish_m = (int(x) for x in str(finish).split(":"))
        minutes += (finish_h * 60 + finish_m) - (start_h * 60 + start_m)
    if minutes <= 0:
        return STANDARD_TIME
    return WorkingTime(minutes_per_day=minutes, days_per_week=len(days))


# ---------------------------------------------------------------------------- cells
def neutralize(value: Any) -> Any:
    """A text cell a spreadsheet would evaluate gets a leading apostrophe (OWASP advice)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _unneutralize(value: str) -> str:
    if value.startswith("'") and value[1:2] and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def format_duration(hours: int, working: WorkingTime = STANDARD_TIME) -> str:
    """Whole working days of the project's calendar when exact, else hours (lossless)."""
    if hours and (hours * 60) % working.minutes_per_day == 0:
        return f"{hours * 60 // working.minutes_per_day}d"
    return f"{hours}h"


def format_lag(hours: int, working: WorkingTime = STANDARD_TIME) -> str:
    if not hours:
        return ""
    sign = "+" if hours > 0 else "-"
    return sign + format_duration(abs(hours), working)


def format_task_duration(
    minutes: int, working: WorkingTime = STANDARD_TIME, *, elapsed: bool = False
) -> str:
    """A task's duration as ``parse_duration_minutes`` reads it back exactly: whole working
    days ("3d"), whole hours ("22h"), else hours and minutes ("22h30"); an elapsed one in
    elapsed days, hours or minutes ("3ed", "72eh", "90em")."""
    if elapsed:
        if minutes and minutes % (24 * 60) == 0:
            return f"{minutes // (24 * 60)}ed"
        return f"{minutes // 60}eh" if minutes % 60 == 0 else f"{minutes}em"
    if minutes and minutes % working.minutes_per_day == 0:
        return f"{minutes // working.minutes_per_day}d"
    return duration_text(minutes)


_DURATION = re.compile(
    r"^\s*(?:(?P<clock_hours>\d+)\s*h\s*(?P<clock_minutes>\d{1,2})\s*(?:m|mins?|minutes?)?"
    r"|(?P<number>\d+(?:[.,]\d+)?)\s*(?P<elapsed>e)?(?P<unit>h|hrs?|hours?|d|days?|w|wks?|"
    r"weeks?|m|mins?|minutes?)?)\??\s*$",
    re.IGNORECASE,
)
_ELAPSED_MINUTES = {"m": 1, "h": 60, "d": 24 * 60, "w": 7 * 24 * 60}


def parse_duration_minutes(text: str, working: WorkingTime = STANDARD_TIME) -> tuple[int, bool]:
    """``(minutes, elapsed)`` from "3d", "4h", "2w", "1.5 days", "90 mins", "22h30" (a
    bare number is days), or an elapsed duration, real time: "72eh", "3ed", "1ew", "90em".

    Working days and weeks are the project calendar's (``working``: 3d of 7.5 h = 1350
    minutes); an elapsed day is 24 hours, an elapsed week 168. A fraction of a minute is
    rounded, half up (the calendars count minutes).
    """
    match = _DURATION.match(text)
    if not match or (match["elapsed"] and not match["unit"]):
        raise ValueError("a duration like 3d, 4h, 22h30, 2w, 1.5 days or 72eh (elapsed)")
    if match["clock_hours"] is not None:
        rest = int(match["clock_minutes"])
        if rest >= 60:
            raise ValueError("minutes after the hours are 0 to 59, like 22h30")
        return int(match["clock_hours"]) * 60 + rest, False
    number = Decimal(match["number"].replace(",", "."))
    unit = (match["unit"] or "d").lower()[0]
    elapsed = bool(match["elapsed"])
    per_unit = (
        Decimal(_ELAPSED_MINUTES[unit])
        if elapsed
        else {
            "m": Decimal(1),
            "h": Decimal(60),
            "d": Decimal(working.minutes_per_day),
            "w": Decimal(working.minutes_per_day * working.days_per_week),
        }[unit]
    )
    return int((number * per_unit).to_integral_value(rounding=ROUND_HALF_UP)), elapsed


def parse_duration(text: str, working: WorkingTime = STANDARD_TIME) -> int:
    """Working hours of a lag, "2d", "4h" (see ``parse_duration_minutes``): lags are whole
    hours, so a result between two is rounded (halves to even: 3d of 7.5 h = 22 h)."""
    minutes, elapsed = parse_duration_minutes(text, working)
    if elapsed:
        raise ValueError("a lag in working time, like 2d or 4h (not elapsed)")
    return int((Decimal(minutes) / 60).to_integral_value())


_LINK = re.compile(
    r"^\s*(?P<ref>[^\s+\-FSfs]+?)\s*(?P<type>FS|SS|FF|SF)?\s*"
    r"(?:(?P<sign>[+-])\s*(?P<lag>\d+(?:[.,]\d+)?\s*[a-z]*))?\s*$",
    re.IGNORECASE,
)


def parse_links(text: str, working: WorkingTime = STANDARD_TIME) -> list[tuple[str, str, int]]:
    """``"3FS+2d; 5; 7SS-4h"`` → ``[("3", "FS", 16), ("5", "FS", 0), ("7", "SS", -4)]``."""
    links: list[tuple[str, str, int]] = []
    for part in re.split(r"[;,]", text):
        if not part.strip():
            continue
        match = _LINK.match(part)
        if not match:
            raise ValueError(f"{part.strip()!r} is not a link like 3FS+2d")
        lag = 0
        if match["lag"]:
            lag = parse_duration(match["lag"], working)
            if match["sign"] == "-":
                lag = -lag
        links.append((match["ref"], (match["type"] or "FS").upper(), lag))
    return links


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _unneutralize(str(value).strip())


# ---------------------------------------------------------------------------- reading
@dataclass
class Table:
    headers: list[str]
    rows: list[list[Any]]  # data rows; row i is spreadsheet row i + 2


def _check_xlsx(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise Invalid.field("file", "not an XLSX workbook") from None
    names = archive.namelist()
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise Invalid.field("file", "workbooks with macros are refused; save it as plain .xlsx")
    if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
        raise Invalid.field("file", "the workbook unpacks to more than 200 MB")


def read_table(*, data: bytes, filename: str) -> Table:
    """The first sheet of an XLSX, or a CSV (comma, semicolon or tab; UTF-8 or Latin-1)."""
    if len(data) > MAX_FILE_BYTES:
        raise Invalid.field("file", "larger than 20 MB")
    if not data.strip():
        raise Invalid.field("file", "the file is empty")
    is_zip = data[:4] == b"PK\x03\x04"
    if filename.lower().endswith((".xlsx", ".xlsm")) or is_zip:
        return _read_xlsx(data)
    return _read_csv(data)


def _read_xlsx(data: bytes) -> Table:
    import openpyxl

    _check_xlsx(data)
    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True, keep_links=False
        )
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        raise Invalid.field(
            "file", f"not a readable XLSX workbook ({type(exc).__name__})"
        ) from None
    rows: list[list[Any]] = []
    try:
        # Read-only sheets are parsed while iterating: a damaged or hostile sheet (a DTD,
        # entities: defusedxml refuses them) fails here, not at opening.
        for values in workbook.worksheets[0].iter_rows(values_only=True):
            if len(rows) > MAX_ROWS + 1:
                raise Invalid.field("file", f"more than {MAX_ROWS} rows")
            rows.append(list(values))
    except Invalid:
        raise
    except Exception as exc:  # openpyxl and the XML parser raise many kinds
        raise Invalid.field(
            "file", f"not a readable XLSX workbook ({type(exc).__name__})"
        ) from None
    finally:
        workbook.close()
    return _table(rows)


def _read_csv(data: bytes) -> Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise Invalid.field("file", "not a CSV text file")
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows: list[list[Any]] = []
    try:
        for values in csv.reader(io.StringIO(text), dialect):
            if len(rows) > MAX_ROWS + 1:
                raise Invalid.field("file", f"more than {MAX_ROWS} rows")
            rows.append(list(values))
    except csv.Error as exc:
        raise Invalid.field("file", f"not a readable CSV file ({exc})") from None
    return _table(rows)


def _table(rows: list[list[Any]]) -> Table:
    rows = [row for row in rows if any(_text(v) for v in row)] if rows else rows
    if not rows:
        raise Invalid.field("file", "the file has no rows")
    headers = [_text(v) for v in rows[0]]
    width = len(headers)
    body = [(row + [None] * width)[:width] for row in rows[1:]]
    return Table(headers=headers, rows=body)


def _norm(header: str) -> str:
    return re.sub(r"[\s_]+", " ", header.strip().lower())


def detect_mapping(headers: list[str]) -> dict[str, str]:
    """Column header → field key for the headers recognised ("" = not imported)."""
    spelled: dict[str, str] = {}
    for key, (label, aliases) in COLUMNS.items():
        for spelling in (label, key, *aliases):
            spelled.setdefault(_norm(spelling), key)
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        key = spelled.get(_norm(header), "")
        if key and key in taken:
            key = ""
        if key and key not in IMPORTED_BY_DEFAULT:
            key = ""
        mapping[header] = key
        if key:
            taken.add(key)
    return mapping


# ---------------------------------------------------------------------------- parsing
@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ParsedTask:
    row: int
    ref: str
    name: str
    parent_row: int | None = None
    level: int = 1
    duration_hours: int = HOURS_PER_DAY
    # The exact duration when it is not whole hours (Task.duration_minutes), else None.
    duration_minutes: int | None = None
    elapsed: bool = False
    milestone: bool = False
    constraint_type: str = ConstraintType.ASAP
    constraint_date: dt.datetime | None = None
    deadline: dt.datetime | None = None
    percent_complete: int = 0
    status: str = TaskStatus.NOT_STARTED
    priority: int = 500
    notes: str = ""
    splits: list[list[int]] = field(default_factory=list)
    links: list[tuple[str, str, int]] = field(default_factory=list)
    resources: list[tuple[Resource, Decimal]] = field(default_factory=list)
    # Field keys whose cell was not empty (an update changes only those, see _update_data).
    given: set[str] = field(default_factory=set)
    # The constraint date as written, before an ASAP type drops it (an update may keep
    # the task's dated constraint type and only move its date).
    written_constraint_date: dt.datetime | None = None
    key: int | None = None  # the existing task this row updates
    version: int | None = None
    action: str = "create"  # create, update or unchanged (after the plan)
    changes: list[str] = field(default_factory=list)  # fields an update changes


@dataclass
class ImportReport:
    headers: list[str]
    mapping: dict[str, str]
    preview: list[dict[str, Any]]
    tasks: list[ParsedTask]
    errors: list[RowError]
    total_rows: int
    links: int = 0
    assignments: int = 0
    applied: bool = False
    columns: set[str] = field(default_factory=set)  # the field keys mapped to a column

    def count(self, action: str) -> int:
        return sum(1 for task in self.tasks if task.action == action)

    @property
    def created(self) -> int:
        return self.count("create")

    @property
    def updated(self) -> int:
        return self.count("update")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")

    @property
    def plan(self) -> list[dict[str, Any]]:
        """Per row: what the import does with it (create, update with the fields, unchanged)."""
        return [
            {"row": t.row, "action": t.action, "key": t.key, "name": t.name, "changes": t.changes}
            for t in self.tasks
        ]

    @property
    def preview_cells(self) -> list[list[str]]:
        return [[row.get(header, "") for header in self.headers] for row in self.preview]

    def as_invalid(self) -> Invalid:
        first = self.errors[:50]
        return Invalid(
            f"{len(self.errors)} problem(s) in the file; nothing was imported "
            f"(first: row {first[0].row}, {first[0].column}: {first[0].message})",
            [FieldError(f"row {e.row}: {e.column}", e.message) for e in first],
        )


def _aware(value: Any, zone: dt.tzinfo, *, end_of_day: bool = False) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time(17 if end_of_day else 9))
    else:
        text = _text(value)
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("a date like 2027-01-04 or 2027-01-04 09:00") from None
        if len(text) <= 10:
            moment = moment.replace(hour=17 if end_of_day else 9)
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=zone)
    return moment


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("yes or no")


def _percent(value: Any) -> int:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # Spreadsheets store 45 % as 0.45.
        number = Decimal(str(value)) * (100 if 0 < value <= 1 and isinstance(value, float) else 1)
    else:
        text = _text(value).rstrip("%").strip().replace(",", ".")
        try:
            number = Decimal(text or "0")
        except InvalidOperation:
            raise ValueError("a number from 0 to 100") from None
    if not 0 <= number <= 100:
        raise ValueError("a number from 0 to 100")
    return int(number.to_integral_value())


_RESOURCE = re.compile(r"^(?P<name>.+?)\s*(?:\[(?P<units>\d+(?:[.,]\d+)?)\s*%?\])?$")


def _resources(text: str, known: dict[str, Resource]) -> list[tuple[Resource, Decimal]]:
    result = []
    separator = ";" if ";" in text else ","
    for part in text.split(separator):
        if not part.strip():
            continue
        match = _RESOURCE.match(part.strip())
        assert match is not None  # noqa: S101 - the pattern matches any non-empty text
        resource = known.get(match["name"].strip().lower())
        if resource is None:
            raise ValueError(f"no resource named {match['name'].strip()!r}")
        units = Decimal(match["units"].replace(",", ".")) / 100 if match["units"] else Decimal(1)
        if not 0 < units <= 100:
            raise ValueError(f"units of {resource.name} must be above 0 %")
        result.append((resource, units.quantize(Decimal("0.01"))))
    return result


_CONVERTED = ("duration", "milestone", "percent_complete", "notes", "deadline", "predecessors",
              "resources", "splits")  # fmt: skip


def _splits(value: Any) -> list[list[int]]:
    if isinstance(value, dt.time):
        # A spreadsheet reads a typed "16:24" as a time of day: one pause after 16 h of 24 h.
        return [[value.hour, value.minute]]
    try:
        return parse_splits_text(_text(value))
    except Invalid:
        # The row error quotes the cell; parse_splits_text's message quotes a cleaned part.
        raise ValueError("pauses as after:pause working hours, like 16:24, 40:8") from None


def _convert(
    task: ParsedTask,
    key: str,
    value: Any,
    zone: dt.tzinfo,
    known: dict[str, Resource],
    working: WorkingTime,
) -> None:
    """Set one field of ``task`` from a non-empty cell; ValueError says what was expected."""
    if key == "duration":
        minutes, task.elapsed = parse_duration_minutes(_text(value), working)
        task.duration_hours, task.duration_minutes = stored(minutes)
    elif key == "milestone":
        task.milestone = _bool(value)
    elif key == "percent_complete":
        task.percent_complete = _percent(value)
    elif key == "notes":
        task.notes = _text(value)
    elif key == "deadline":
        task.deadline = _aware(value, zone, end_of_day=True)
    elif key == "predecessors":
        task.links = parse_links(_text(value), working)
    elif key == "resources":
        task.resources = _resources(_text(value), known)
    elif key == "splits":
        task.splits = _splits(value)


def parse_table(
    *, project: Project, table: Table, mapping: dict[str, str] | None = None
) -> ImportReport:
    """Check every row; return the tasks that would be created and every problem found."""
    auto = detect_mapping(table.headers)
    if mapping:
        unknown_headers = set(mapping) - set(table.headers)
        if unknown_headers:
            raise Invalid.field("mapping", f"no column named {sorted(unknown_headers)[0]!r}")
        bad = {v for v in mapping.values() if v and v not in FIELD_KEYS}
        if bad:
            raise Invalid.field("mapping", f"unknown field {sorted(bad)[0]!r}")
        auto.update(mapping)
    mapping = auto
    used = [v for v in mapping.values() if v]
    if len(used) != len(set(used)):
        dup = next(v for v in used if used.count(v) > 1)
        raise Invalid.field("mapping", f"two columns are mapped to {dup!r}")
    if "name" not in used:
        raise Invalid.field("mapping", "no column is mapped to the task name")
    column_of = {key: table.headers.index(header) for header, key in mapping.items() if key}
    label_of = {key: table.headers[index] for key, index in column_of.items()}
    zone = zoneinfo.ZoneInfo(project.time_zone or "UTC")
    working = project_working_time(project)
    known = {r.name.lower(): r for r in Resource.objects.filter(active=True)}
    errors: list[RowError] = []
    tasks: list[ParsedTask] = []
    preview: list[dict[str, Any]] = []
    refs: dict[str, int] = {}
    by_wbs: dict[str, int] = {}
    level_stack: list[int] = []  # index in tasks of the last task at each level

    for offset, values in enumerate(table.rows):
        row = offset + 2

        def cell(key: str, values: list[Any] = values) -> Any:
            index = column_of.get(key)
            return None if index is None else values[index]

        def fail(key: str, message: str, row: int = row) -> None:
            errors.append(RowError(row, label_of.get(key, COLUMNS[key][0]), message))

        if len(preview) < 20:
            preview.append({header: _text(values[i]) for i, header in enumerate(table.headers)})
        name = _text(cell("name"))
        # Without an ID column a row is referred to by its position. With one, a row left
        # without an ID (a task added to an exported sheet) gets a ref no cell can name,
        # so it cannot collide with the ID another row carries.
        ref = _text(cell("id")) or (f"row {row}" if "id" in column_of else str(offset + 1))
        task = ParsedTask(row=row, ref=ref, name=name)
        if not name:
            fail("name", "must not be empty")
        elif len(name) > 300:
            fail("name", "at most 300 characters")
        if task.ref in refs:
            fail("id", f"{task.ref} is used twice (rows {refs[task.ref]} and {row})")
        refs.setdefault(task.ref, row)
        for key in _CONVERTED:
            value = cell(key)
            if key in column_of and _text(value) != "":
                task.given.add(key)
                try:
                    _convert(task, key, value, zone, known, working)
                except ValueError as exc:
                    fail(key, f"{_text(value)!r}: {exc}")
        for key in ("constraint_type", "constraint_date", "start", "finish", "status", "priority",
                    "key", "version"):  # fmt: skip
            if _text(cell(key)):
                task.given.add(key)
        if task.duration_hours > MAX_DURATION_HOURS:
            fail("duration", f"at most {MAX_DURATION_HOURS} hours")
        if _text(cell("duration")) in ("0", "0d", "0h") and "milestone" not in column_of:
            task.milestone = True
            task.given.add("milestone")
        if task.milestone:
            task.duration_hours, task.duration_minutes, task.elapsed = 0, None, False
        for text_key, choices, attr in (
            ("constraint_type", ConstraintType.values, "constraint_type"),
            ("status", TaskStatus.values, "status"),
        ):
            value = _text(cell(text_key))
            if value:
                wanted = value.upper() if text_key == "constraint_type" else value.lower()
                wanted = wanted.replace(" ", "_") if text_key == "status" else wanted
                if wanted in choices:
                    setattr(task, attr, wanted)
                else:
                    fail(text_key, f"{value!r}: one of {', '.join(choices)}")
        if _text(cell("constraint_date")):
            try:
                task.constraint_date = _aware(cell("constraint_date"), zone)
            except ValueError as exc:
                fail("constraint_date", str(exc))
        if _text(cell("start")):
            try:
                start = _aware(cell("start"), zone)
                if task.constraint_type == ConstraintType.ASAP:
                    task.constraint_type, task.constraint_date = ConstraintType.SNET, start
            except ValueError as exc:
                fail("start", str(exc))
        if _text(cell("finish")):
            try:
                finish = _aware(cell("finish"), zone, end_of_day=True)
                if task.constraint_type == ConstraintType.ASAP:
                    task.constraint_type, task.constraint_date = ConstraintType.FNLT, finish
            except ValueError as exc:
                fail("finish", str(exc))
        if task.constraint_type in DATED_CONSTRAINTS and task.constraint_date is None:
            fail("constraint_date", f"required for a {task.constraint_type} constraint")
        task.written_constraint_date = task.constraint_date
        if task.constraint_type in ("ASAP", "ALAP"):
            task.constraint_date = None
        if _text(cell("priority")):
            try:
                task.priority = int(_text(cell("priority")))
                if not 0 <= task.priority <= 1000:
                    raise ValueError
            except ValueError:
                fail("priority", "a whole number from 0 to 1000")
        if task.status == TaskStatus.DONE and not _text(cell("percent_complete")):
            task.percent_complete = 100
            task.given.add("percent_complete")
        if _text(cell("key")):
            # Not a number is the same answer as a number of no task: "unknown task".
            text = _text(cell("key"))
            task.key = int(text) if text.isdigit() and len(text) < 19 else -1
        if _text(cell("version")):
            try:
                task.version = int(_text(cell("version")))
            except ValueError:
                fail("version", "a whole number (the Version an export wrote)")
        if task.splits:
            _check_splits(task, fail)
        # The tree: an outline level (as MS Project writes), else the WBS code.
        index = len(tasks)
        if "outline_level" in column_of:
            try:
                level = int(_text(cell("outline_level")) or "1")
                if level < 1:
                    raise ValueError
            except ValueError:
                fail("outline_level", "a whole number from 1")
                level = 1
            if level > len(level_stack) + 1:
                fail("outline_level", f"jumps from level {len(level_stack)} to {level}")
                level = len(level_stack) + 1
            del level_stack[level - 1 :]
            task.level = level
            task.parent_row = tasks[level_stack[-1]].row if level_stack else None
            level_stack.append(index)
        elif "wbs" in column_of and _text(cell("wbs")):
            code = _text(cell("wbs"))
            parent_code = code.rpartition(".")[0]
            if parent_code:
                if parent_code not in by_wbs:
                    fail("wbs", f"{code}: its summary task {parent_code} is not above it")
                else:
                    task.parent_row = tasks[by_wbs[parent_code]].row
            by_wbs[code] = index
        tasks.append(task)

    _check_tree_and_links(tasks, refs, errors, label_of)
    report = ImportReport(
        headers=table.headers, mapping=mapping, preview=preview, tasks=tasks, errors=errors,
        total_rows=len(table.rows), columns=set(column_of),
    )  # fmt: skip
    _plan(project, report, label_of)
    errors.sort(key=lambda e: e.row)
    report.links = sum(len(t.links) for t in tasks)
    report.assignments = sum(len(t.resources) for t in tasks)
    return report


def _check_splits(task: ParsedTask, fail: Callable[[str, str], None]) -> None:
    """The pauses against the row's duration (a keyed row without one: in _plan)."""
    if task.milestone:
        fail("splits", "a milestone has no pauses")
        return
    if task.key is not None and "duration" not in task.given:
        return
    if task.elapsed and task.splits:
        fail("splits", "an elapsed task runs day and night without pauses")
        return
    try:
        task.splits = normalize_splits(task.splits, task.duration_hours)
    except Invalid as exc:
        fail("splits", exc.errors[0].message if exc.errors else str(exc))


def _check_tree_and_links(
    tasks: list[ParsedTask], refs: dict[str, int], errors: list[RowError], label_of: dict[str, str]
) -> None:
    label = label_of.get("predecessors", "Predecessors")
    by_row = {t.row: t for t in tasks}
    has_children = {t.parent_row for t in tasks if t.parent_row}
    # What a summary task cannot be: (column, its default label, attribute, message).
    summary_rules = (
        ("milestone", "Milestone", "milestone", "a summary task cannot be a milestone"),
        ("splits", "Splits", "splits", "a summary task spans its subtasks; split those"),
        ("duration", "Duration", "elapsed", "a summary task spans its subtasks: it cannot be elapsed"),
    )  # fmt: skip
    errors.extend(
        RowError(task.row, label_of.get(column, default), message)
        for column, default, attribute, message in summary_rules
        for task in tasks
        if task.row in has_children and getattr(task, attribute)
    )
    ancestors: dict[int, set[int]] = {}
    for task in tasks:  # parents come before children
        parent = task.parent_row
        ancestors[task.row] = {parent, *ancestors.get(parent, set())} if parent else set()
    graph: dict[int, set[int]] = defaultdict(set)
    for task in tasks:
        seen: set[int] = set()
        for ref, kind, lag in task.links:
            if kind not in DependencyType.values:
                errors.append(RowError(task.row, label, f"{kind}: one of FS, SS, FF, SF"))
            if abs(lag) > MAX_LAG_HOURS:
                errors.append(RowError(task.row, label, f"lag beyond ±{MAX_LAG_HOURS} hours"))
            source = refs.get(ref)
            if source is None:
                errors.append(RowError(task.row, label, f"no task with ID {ref} in the file"))
                continue
            if source == task.row:
                errors.append(RowError(task.row, label, "a task cannot depend on itself"))
                continue
            if source in seen:
                errors.append(RowError(task.row, label, f"{ref} is named twice"))
                continue
            seen.add(source)
            if source in ancestors[task.row] or task.row in ancestors.get(source, set()):
                errors.append(RowError(task.row, label,
                                       f"{ref}: a task cannot be linked to its own summary task"))  # fmt: skip
                continue
            graph[source].add(task.row)
    # A cycle among links would fail the reschedule; name it in the dry run already.
    state: dict[int, int] = {}
    for start in list(graph):
        if state.get(start):
            continue
        stack: list[tuple[int, Iterable[int]]] = [(start, iter(graph[start]))]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            nxt = next(iter(children), None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                cycle = [n for n, _ in stack][[n for n, _ in stack].index(nxt) :]
                names = " → ".join(by_row[n].ref for n in [*cycle, nxt])
                errors.append(RowError(nxt, label, f"the links close a cycle: {names}"))
                state[nxt] = 2
            elif not state.get(nxt):
                state[nxt] = 1
                stack.append((nxt, iter(graph[nxt])))


# ---------------------------------------------------------------------------- import
def tasks_import(
    *,
    actor: User,
    project: Project,
    data: bytes,
    filename: str,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Add the file's new tasks and update its keyed ones (tree, links, assignments).

    A dry run only checks. A real run refuses a file with any problem (Invalid naming the
    rows) and otherwise writes everything in one transaction, then reschedules once: a
    failure or a killed process at any point leaves the project as it was.
    """
    require_role(actor, project, Role.MANAGER)
    table = read_table(data=data, filename=filename)
    report = parse_table(project=project, table=table, mapping=mapping)
    if dry_run:
        return report
    if report.errors:
        raise report.as_invalid()
    if not report.tasks:
        raise Invalid.field("file", "the file has no task rows")
    with transaction.atomic(), deferred_rescheduling():
        # Lock the project so two imports into it do not interleave their positions.
        locked = Project.objects.select_for_update().get(pk=project.pk)
        require_role(actor, locked, Role.MANAGER)
        _write(actor, locked, report, progress)
    report.applied = True
    return report


def _write(actor: User, project: Project, report: ImportReport, progress: Progress | None) -> None:
    total = len(report.tasks)
    # Read the updated tasks again under lock: one changed since the check (a stale
    # Version, or deleted) refuses the whole import with a 409.
    existing = _locked_tasks(project, report)
    # Row -> task, for every row: the existing task of a keyed row, the new one otherwise.
    task_of_row: dict[int, Task] = {
        parsed.row: existing[parsed.key] for parsed in report.tasks if parsed.key is not None
    }
    created: dict[int, Task] = {}
    positions: dict[int | None, int] = defaultdict(int)
    for parent_id in Task.objects.filter(project=project).values_list("parent_id", flat=True):
        positions[parent_id] += 1
    done = 0
    by_depth: dict[int, list[ParsedTask]] = defaultdict(list)
    depth: dict[int, int] = {}
    for parsed in report.tasks:
        depth[parsed.row] = depth[parsed.parent_row] + 1 if parsed.parent_row else 0
        if parsed.key is None:
            by_depth[depth[parsed.row]].append(parsed)
    for level in sorted(by_depth):
        batch: list[Task] = []
        for parsed in by_depth[level]:
            # A new row's summary task may be a new row or an existing task of the file.
            parent = task_of_row[parsed.parent_row] if parsed.parent_row else None
            key = parent.pk if parent else None
            positions[key] += 1
            batch.append(Task(
                project=project, parent=parent, order=positions[key], name=parsed.name,
                description=parsed.notes, milestone=parsed.milestone,
                duration_hours=parsed.duration_hours, duration_minutes=parsed.duration_minutes,
                elapsed=parsed.elapsed, status=parsed.status,
                percent_complete=parsed.percent_complete, constraint_type=parsed.constraint_type,
                constraint_date=parsed.constraint_date, deadline=parsed.deadline,
                priority=parsed.priority, splits=parsed.splits,
                completed_at=timezone.now() if parsed.status == TaskStatus.DONE else None,
            ))  # fmt: skip
        for start in range(0, len(batch), WRITE_CHUNK):
            chunk = batch[start : start + WRITE_CHUNK]
            Task.objects.bulk_create(chunk)
            done += len(chunk)
            if progress:
                progress("writing tasks", done, total)
        for parsed, task in zip(by_depth[level], batch, strict=True):
            created[parsed.row] = task
            task_of_row[parsed.row] = task
    if created:
        wbs_renumber(project)
    row_of_ref = {t.ref: t.row for t in report.tasks}
    links_now = _links_by_successor(project)
    resources_now = _assignments_by_task(project)
    new_links: list[Dependency] = []
    new_assignments: list[Assignment] = []
    updated = 0
    for parsed in report.tasks:
        task = task_of_row[parsed.row]
        wanted_links = {
            task_of_row[row_of_ref[ref]].pk: (kind, lag) for ref, kind, lag in parsed.links
        }
        wanted_resources = {resource.pk: (resource, units) for resource, units in parsed.resources}
        if parsed.key is None:
            new_links += [
                Dependency(project=project, predecessor_id=pk, successor=task, type=kind,
                           lag_hours=lag)
                for pk, (kind, lag) in wanted_links.items()
            ]  # fmt: skip
            new_assignments += [
                Assignment(project=project, task=task, resource=resource, units=units)
                for resource, units in wanted_resources.values()
            ]
            continue
        changes = apply_changes(task, _update_data(parsed, task, report.columns))
        if "status" in changes:
            # As task_update: when work was done feeds burndown and velocity.
            finished = timezone.now() if task.status == TaskStatus.DONE else None
            changes.update(apply_changes(task, {"completed_at": finished}))
        if "predecessors" in report.columns:
            current = links_now.get(task.pk, {})
            if _link_state(current) != wanted_links:
                changes["predecessors"] = [_link_json(current), _wanted_json(wanted_links)]
                for pk, dep in current.items():
                    if pk not in wanted_links:
                        dep.delete()
                    elif (dep.type, dep.lag_hours) != wanted_links[pk]:
                        dep.type, dep.lag_hours = wanted_links[pk]
                        save_versioned(dep, ["type", "lag_hours"])
                new_links += [
                    Dependency(project=project, predecessor_id=pk, successor=task, type=kind,
                               lag_hours=lag)
                    for pk, (kind, lag) in wanted_links.items() if pk not in current
                ]  # fmt: skip
        if "resources" in report.columns:
            held = resources_now.get(task.pk, {})
            wanted_units = {pk: units for pk, (_, units) in wanted_resources.items()}
            if {pk: a.units for pk, a in held.items()} != wanted_units:
                changes["resources"] = [
                    sorted(a.resource.name for a in held.values()),
                    sorted(resource.name for resource, _ in wanted_resources.values()),
                ]
                for pk, assignment in held.items():
                    if pk not in wanted_units:
                        assignment.delete()
                    elif assignment.units != wanted_units[pk]:
                        assignment.units = wanted_units[pk]
                        save_versioned(assignment, ["units"])
                new_assignments += [
                    Assignment(project=project, task=task, resource=resource, units=units)
                    for pk, (resource, units) in wanted_resources.items() if pk not in held
                ]  # fmt: skip
        if not changes:
            continue
        # The version goes up for a change of links or resources too: the row changed.
        save_versioned(task, [name for name in changes if name not in _RELATED_CHANGES])
        audit(actor=actor, action="task.update", obj=task, project=project,
              changes={**changes, "source": [None, "import"]})  # fmt: skip
        updated += 1
        done += 1
        if progress and done % WRITE_CHUNK == 0:
            progress("updating tasks", done, total)
    Dependency.objects.bulk_create(new_links, batch_size=WRITE_CHUNK)
    Assignment.objects.bulk_create(new_assignments, batch_size=WRITE_CHUNK)
    if progress:
        progress("links and assignments", total, total)
    # One audit event per created task (as task_create leaves), plus one for the import.
    events = [
        AuditEvent(actor=actor, project=project, action="task.create", object_type="task",
                   object_id=str(task.pk), object_repr=task.name[:300],
                   changes={"name": [None, task.name], "source": [None, "import"]})
        for task in created.values()
    ]  # fmt: skip
    AuditEvent.objects.bulk_create(events, batch_size=WRITE_CHUNK)
    AuditEvent.objects.create(
        actor=actor, project=project, action="tasks.import", object_type="project",
        object_id=str(project.pk), object_repr=str(project)[:300],
        changes={"tasks": [None, total], "created": [None, len(created)],
                 "updated": [None, updated], "links": [None, report.links],
                 "assignments": [None, report.assignments]},
    )  # fmt: skip
    # Leaving deferred_rescheduling() reschedules the project once (a cycle rolls back).
    from itpm.planning.scheduling import project_reschedule

    project_reschedule(project)


# ---------------------------------------------------------------------------- updates
UNKNOWN_TASK = "unknown task: no task of this project has this key"
_RELATED_CHANGES = ("predecessors", "resources")


def _same(before: Any, after: Any) -> bool:
    # The export writes dates to the minute: seconds in the stored value are no change.
    if isinstance(before, dt.datetime) and isinstance(after, dt.datetime):
        return before.replace(second=0, microsecond=0) == after.replace(second=0, microsecond=0)
    return bool(before == after)


def _update_data(parsed: ParsedTask, task: Task, columns: set[str]) -> dict[str, Any]:
    """The model fields a row changes on its task.

    Only the file's columns count. An empty cell keeps the task's value, except Notes,
    Deadline, Splits, Predecessors and Resources, where empty means none (as the export
    writes). A new duration without a Splits column drops the pauses it no longer holds,
    as task_update does.
    """
    given = parsed.given
    data: dict[str, Any] = {"name": parsed.name}
    if "duration" in given or (parsed.milestone and "milestone" in given):
        data["duration_hours"] = parsed.duration_hours
        data["duration_minutes"] = parsed.duration_minutes
        data["elapsed"] = parsed.elapsed
    if "milestone" in given:
        data["milestone"] = parsed.milestone
    for key in ("percent_complete", "status", "priority"):
        if key in given:
            data[key] = getattr(parsed, key)
    if "notes" in columns:
        data["description"] = parsed.notes
    if "deadline" in columns:
        data["deadline"] = parsed.deadline
    duration = data.get("duration_hours", task.duration_hours)
    if parsed.milestone and "milestone" in given:
        data["splits"] = []
    elif "splits" in columns:
        data["splits"] = parsed.splits
    elif "duration_hours" in data and task.splits:
        data["splits"] = within(task.splits, duration)
    if given & {"constraint_type", "start", "finish"}:
        data["constraint_type"] = parsed.constraint_type
        data["constraint_date"] = parsed.constraint_date
    elif "constraint_date" in given and task.constraint_type in DATED_CONSTRAINTS:
        data["constraint_date"] = parsed.written_constraint_date
    return {name: value for name, value in data.items() if not _same(getattr(task, name), value)}


def _links_by_successor(project: Project) -> dict[int, dict[int, Dependency]]:
    links: dict[int, dict[int, Dependency]] = defaultdict(dict)
    for dep in Dependency.objects.filter(project=project):
        links[dep.successor_id][dep.predecessor_id] = dep
    return links


def _assignments_by_task(project: Project) -> dict[int, dict[int, Assignment]]:
    held: dict[int, dict[int, Assignment]] = defaultdict(dict)
    for assignment in Assignment.objects.filter(project=project).select_related("resource"):
        held[assignment.task_id][assignment.resource_id] = assignment
    return held


def _link_state(current: dict[int, Dependency]) -> dict[int, tuple[str, int]]:
    return {pk: (dep.type, dep.lag_hours) for pk, dep in current.items()}


def _link_json(current: dict[int, Dependency]) -> list[list[Any]]:
    return sorted([pk, dep.type, dep.lag_hours] for pk, dep in current.items())


def _wanted_json(wanted: dict[int, tuple[str, int]]) -> list[list[Any]]:
    return sorted([pk, kind, lag] for pk, (kind, lag) in wanted.items())


def _locked_tasks(project: Project, report: ImportReport) -> dict[int, Task]:
    keys = {parsed.key for parsed in report.tasks if parsed.key is not None}
    if not keys:
        return {}
    existing = {t.pk: t for t in Task.objects.select_for_update().filter(project=project)}
    for parsed in report.tasks:
        if parsed.key is None:
            continue
        task = existing.get(parsed.key)
        if task is None:
            raise Conflict(f"row {parsed.row}: the task was deleted meanwhile; export again")
        if parsed.version is not None and parsed.version != task.version:
            raise Conflict(
                f"row {parsed.row}: {task.name} was changed by someone else (you had version "
                f"{parsed.version}, it is now {task.version}); export again"
            )
    return existing


def _plan(project: Project, report: ImportReport, label_of: dict[str, str]) -> None:
    """Match keyed rows to the project's tasks and say per row what the import would do.

    Only this project's tasks are looked up, so a key of another project's task gets the
    same answer as a key of no task at all: nothing about other projects leaks.
    """
    keyed = [parsed for parsed in report.tasks if parsed.key is not None]
    if not keyed:
        return
    existing = {t.pk: t for t in Task.objects.filter(project=project)}
    summaries = {t.parent_id for t in existing.values() if t.parent_id}
    # Plain values, not model instances: the plan reads every link and assignment.
    links_now: dict[int, dict[int, tuple[str, int]]] = defaultdict(dict)
    for successor, predecessor, kind, lag in Dependency.objects.filter(project=project).values_list(
        "successor_id", "predecessor_id", "type", "lag_hours"
    ):
        links_now[successor][predecessor] = (kind, lag)
    resources_now: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for task_id, resource_id, units in Assignment.objects.filter(project=project).values_list(
        "task_id", "resource_id", "units"
    ):
        resources_now[task_id][resource_id] = units
    key_label = label_of.get("key", COLUMNS["key"][0])
    version_label = label_of.get("version", COLUMNS["version"][0])
    row_of_ref = {t.ref: t.row for t in report.tasks}
    row_of_key: dict[int, int] = {}
    pk_of_row: dict[int, int] = {}
    for parsed in keyed:
        task = existing.get(parsed.key or 0)
        if task is None:
            report.errors.append(RowError(parsed.row, key_label, UNKNOWN_TASK))
            continue
        if task.pk in row_of_key:
            report.errors.append(RowError(parsed.row, key_label,
                                          f"the same task as row {row_of_key[task.pk]}"))  # fmt: skip
            continue
        row_of_key[task.pk] = parsed.row
        pk_of_row[parsed.row] = task.pk
        if parsed.version is not None and parsed.version != task.version:
            report.errors.append(RowError(parsed.row, version_label,
                f"{task.name} was changed since the export (version {parsed.version} in the "
                f"file, {task.version} now); export again"))  # fmt: skip
    for parsed in keyed:
        if parsed.row not in pk_of_row:
            continue
        task = existing[pk_of_row[parsed.row]]
        data = _update_data(parsed, task, report.columns)
        if data.get("milestone") and task.pk in summaries:
            report.errors.append(RowError(parsed.row, label_of.get("milestone", "Milestone"),
                                          "a summary task cannot be a milestone"))  # fmt: skip
        if data.get("elapsed"):
            # A summary row of the file and pauses in its Splits cell are errors already.
            duration_label = label_of.get("duration", COLUMNS["duration"][0])
            summary = RowError(parsed.row, duration_label,
                               "a summary task spans its subtasks: it cannot be elapsed")  # fmt: skip
            if task.pk in summaries and summary not in report.errors:
                report.errors.append(summary)
            elif "splits" not in report.columns and task.splits:
                report.errors.append(RowError(parsed.row, duration_label,
                    "an elapsed task runs day and night without pauses; remove its splits"))  # fmt: skip
        if data.get("splits"):
            splits_label = label_of.get("splits", COLUMNS["splits"][0])
            if task.pk in summaries:
                report.errors.append(RowError(parsed.row, splits_label,
                                              "a summary task spans its subtasks; split those"))  # fmt: skip
            else:
                try:
                    parsed.splits = normalize_splits(
                        data["splits"], data.get("duration_hours", task.duration_hours)
                    )
                except Invalid as exc:
                    report.errors.append(RowError(parsed.row, splits_label,
                        exc.errors[0].message if exc.errors else str(exc)))  # fmt: skip
        changes = list(data)
        if "predecessors" in report.columns:
            # A link from a new row is a change; refs were checked by _check_tree_and_links.
            wanted = {
                pk_of_row.get(row_of_ref.get(ref, 0), -row_of_ref.get(ref, 0)): (kind, lag)
                for ref, kind, lag in parsed.links
            }
            if links_now.get(task.pk, {}) != wanted:
                changes.append("predecessors")
        wanted_units = {resource.pk: units for resource, units in parsed.resources}
        if "resources" in report.columns and resources_now.get(task.pk, {}) != wanted_units:
            changes.append("resources")
        parsed.action = "update" if changes else "unchanged"
        parsed.changes = changes


# ---------------------------------------------------------------------------- export
def export_rows(*, project: Project) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of the project's tasks in WBS order (cells not yet neutralized)."""
    tasks = list(Task.objects.filter(project=project).order_by("wbs_sort"))
    ids = {task.pk: number for number, task in enumerate(tasks, start=1)}
    working = project_working_time(project)
    links: dict[int, list[str]] = defaultdict(list)
    for dep in Dependency.objects.filter(project=project).order_by("id"):
        kind = dep.type
        links[dep.successor_id].append(
            f"{ids[dep.predecessor_id]}{kind}{format_lag(dep.lag_hours, working)}"
        )
    resources: dict[int, list[str]] = defaultdict(list)
    for a in Assignment.objects.filter(project=project).select_related("resource"):
        units = "" if a.units == 1 else f"[{(a.units * 100).normalize():f}%]"
        resources[a.task_id].append(f"{a.resource.name}{units}")
    zone = zoneinfo.ZoneInfo(project.time_zone or "UTC")

    def when(value: dt.datetime | None) -> str:
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else ""

    headers = [COLUMNS[key][0] for key in FIELD_KEYS]
    rows = [
        [
            ids[task.pk], task.wbs_code, task.wbs_code.count(".") + 1, task.name,
            format_task_duration(exact_minutes(task), working, elapsed=task.elapsed),
            when(task.planned_start),
            when(task.planned_finish), "yes" if task.milestone else "no", task.constraint_type,
            when(task.constraint_date), when(task.deadline), "; ".join(links[task.pk]),
            "; ".join(resources[task.pk]), task.percent_complete, task.status, task.priority,
            task.description, splits_text(task.splits), task.pk, task.version,
        ]
        for task in tasks
    ]  # fmt: skip
    return headers, rows


def tasks_export_csv(*, project: Project) -> bytes:
    headers, rows = export_rows(project=project)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([neutralize(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def tasks_export_xlsx(*, project: Project) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    headers, rows = export_rows(project=project)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(project.key)
    sheet.append(headers)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=neutralize(value))
            if isinstance(value, str):
                # Written as a string cell, never as a formula, whatever it starts with.
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
