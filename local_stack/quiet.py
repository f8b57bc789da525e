"""Quiet by default: what ``make run`` prints is meant for a person.

- The functions' warnings and errors (Powertools' JSON lines) become one human line each, and the same kind (the
  function, the message, the provider and the error) at most once a minute, with a count of those left out:
  without network every job's sources fail, and the stream reconnects every second.
- No EMF: the cold-start metric blob is not printed (``POWERTOOLS_METRICS_DISABLED`` covers the rest,
  ``observability`` covers ``single_metric``), nor Powertools' "No application metrics to publish" warning.
- The scheduler prints a run only when it did something (``scheduler.did_something``).

``LOG_LEVEL=debug`` brings all of it back: the structured JSON lines at DEBUG, the EMF, every scheduled run.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import warnings
from collections.abc import Callable

WINDOW_SECONDS = 60.0
# The fields that tell one kind of failure from another, and what the human line shows of a record.
KIND_FIELDS = ("provider", "code", "error", "type")
SHOWN_FIELDS = ("provider", "reason", "error", "keyword", "type", "parameter")
SHOWN_CHARS = 120  # of each field: a fan-out's reason lists every instance it tried


def debug() -> bool:
    return (os.environ.get("LOG_LEVEL") or "").strip().lower() == "debug"


class HumanLines(logging.Filter):
    """On the Powertools handler: writes the record as one human line (or nothing, when the same kind was written
    less than ``window`` seconds ago) and drops the JSON line. The record's fields, ``function_name`` included, are
    read from Powertools' own formatter, so they are what the JSON line would have said."""

    def __init__(
        self,
        formatter: logging.Formatter,
        write: Callable[[str], None] | None = None,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.formatter = formatter
        self.write = write or (lambda line: print(line, flush=True))
        self.window = window
        self.clock = clock
        self._lock = threading.Lock()
        self._last: dict[tuple, list] = {}  # kind -> [when written, how many left out since]

    def fields(self, record: logging.LogRecord) -> dict:
        try:
            found = json.loads(self.formatter.format(record))
        except (TypeError, ValueError):
            found = None
        return found if isinstance(found, dict) else {"message": record.getMessage()}

    def filter(self, record: logging.LogRecord) -> bool:
        fields = self.fields(record)
        function = str(fields.get("function_name") or "local")
        message = str(fields.get("message", ""))
        kind = (function, message, *(str(fields.get(name, "")) for name in KIND_FIELDS))
        with self._lock:
            now = self.clock()
            last = self._last.get(kind)
            if last is not None and now - last[0] < self.window:
                last[1] += 1
                return False
            left_out = last[1] if last is not None else 0
            self._last[kind] = [now, 0]
        self.write(self.line(function, message, fields, record, left_out))
        return False

    def line(self, function: str, message: str, fields: dict, record: logging.LogRecord, left_out: int) -> str:
        shown: list[str] = []
        for name in SHOWN_FIELDS:
            value = str(fields.get(name) or "")
            value = value if len(value) <= SHOWN_CHARS else value[: SHOWN_CHARS - 3] + "..."
            if value and not any(value in part for part in shown):
                # one of "mastodon" and "mastodon: connection failed (ConnectError)" is enough
                shown = [part for part in shown if part not in value] + [value]
        if record.exc_info and record.exc_info[0] is not None:
            shown.append(record.exc_info[0].__name__)
        level = "" if record.levelno < logging.ERROR else f"{record.levelname.lower()}: "
        text = f"{function}: {level}{message}"
        if shown:
            text += f" ({'; '.join(shown)})"
        if left_out:
            text += f" [{left_out} more like it in the last {self.window:.0f} s]"
        return text


def quiet() -> None:
    if debug():
        return
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    from aws_lambda_powertools.metrics.provider import cold_start

    cold_start.is_cold_start = False  # the ColdStart metric is an EMF line on stdout; nobody reads it locally
    from social_analytics.observability import logger

    handler = logger.registered_handler
    if not any(isinstance(existing, HumanLines) for existing in handler.filters):
        handler.addFilter(HumanLines(logger.registered_formatter))
