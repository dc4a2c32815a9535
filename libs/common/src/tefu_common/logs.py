"""Logs: JSON lines for machines, short lines for a person at a terminal.

Two formats (setting ``LOG_FORMAT``):

- ``json`` (the default; containers and log collectors): one JSON object a line on stdout, each
  carrying the service name and the request id;
- ``console`` (``make run``): one short line a request (time, service, method, path, status,
  milliseconds, request id) and every warning, readable as they scroll by. Requests that one
  service makes of another (the change-feed follower polls every few seconds), health checks and
  background progress are left out of the terminal (``LOG_LEVEL=DEBUG`` shows everything).

With ``LOG_DIR`` set, every line also goes in full JSON to ``<LOG_DIR>/<service>.log``, whatever
the terminal shows. ``LOG_LEVEL`` sets what reaches the terminal (``WARNING``: warnings only); the
file always keeps INFO and above.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
import threading
import time
from datetime import datetime, timezone
from typing import Any

import orjson
from starlette.types import Scope

from tefu_common.request_context import current_request_id

# Attributes every LogRecord has; anything else was passed in ``extra=`` and is logged as a field.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName", "color_message"}


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = current_request_id()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()

    def access_line(self, method: str, path: str, status: int, duration_ms: float) -> str:
        """The line ``format`` makes of an access-log record, made directly (see log_request)."""
        entry: dict[str, Any] = {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"), "level": "info",
            "service": self.service, "logger": "tefu.access", "message": f"{method} {path} {status}",
        }
        request_id = current_request_id()
        if request_id:
            entry["request_id"] = request_id
        entry.update(method=method, path=path, status=status, duration_ms=duration_ms)
        return orjson.dumps(entry).decode()


class BatchedStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Gathers lines and writes them to the stream in batches.

    A plain StreamHandler writes and flushes every line: on a busy service one system call per
    request, paid on the event loop (and with PYTHONUNBUFFERED, as containers set, buffering
    in the stream does not help). Here INFO lines are written at most ``interval`` seconds apart
    (by the next line, or by a background thread when the service goes quiet), and a warning or
    worse is written at once together with everything before it.
    """

    def __init__(self, stream: Any, interval: float = 0.25, max_lines: int = 512) -> None:
        super().__init__(stream)
        self.interval = interval
        self.max_lines = max_lines
        self._lines: list[str] = []
        self._written_at = time.monotonic()
        threading.Thread(target=self._write_now_and_then, name="log-writer", daemon=True).start()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
            with self.lock:  # type: ignore[union-attr]
                self._lines.append(line)
                if (record.levelno >= logging.WARNING or len(self._lines) >= self.max_lines
                        or time.monotonic() - self._written_at >= self.interval):
                    self._write_locked()
        except Exception:
            self.handleError(record)

    def add_line(self, line: str) -> None:
        """A line already formatted (the access log's), gathered like the others."""
        with self.lock:  # type: ignore[union-attr]
            self._lines.append(line + self.terminator)
            if len(self._lines) >= self.max_lines or time.monotonic() - self._written_at >= self.interval:
                self._write_locked()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._write_locked()

    def _write_locked(self) -> None:
        if self._lines and self.stream:
            self.stream.write("".join(self._lines))
            self._lines.clear()
            if hasattr(self.stream, "flush"):
                self.stream.flush()
        self._written_at = time.monotonic()

    def _write_now_and_then(self) -> None:
        while True:
            time.sleep(self.interval)
            if self._lines:
                try:
                    self.flush()
                except (OSError, ValueError):  # the stream closed at exit
                    return


class ConsoleFormatter(logging.Formatter):
    """``20:41:07 registry  WARNING database became unreachable`` (and the request id, if any)."""

    LEVELS = {"WARNING": "警告 WARNING", "ERROR": "错误 ERROR", "CRITICAL": "严重 CRITICAL"}

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        when = time.strftime("%H:%M:%S", time.localtime(record.created))
        level = self.LEVELS.get(record.levelname, record.levelname)
        line = f"{when} {self.service:<16} {level} {record.getMessage()}"
        request_id = current_request_id()
        if request_id:
            line += f"  [{request_id[:8]}]"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line

    def access_line(self, method: str, path: str, status: int, duration_ms: float) -> str:
        when = time.strftime("%H:%M:%S")
        request_id = current_request_id() or ""
        return f"{when} {self.service:<16} {method:<6} {path} {status} {duration_ms:.0f} ms  [{request_id[:8]}]"


def _for_a_person(record: logging.LogRecord) -> bool:
    """What a terminal shows: requests and warnings. Background progress (the card follower's
    family-by-family lines, uvicorn's start-up) stays in the file, unless LOG_LEVEL=DEBUG."""
    return record.levelno >= logging.WARNING or record.name == "tefu.access" or (
        _terminal is not None and _terminal.level <= logging.DEBUG)


def configure_logging(service: str, level: str = "INFO", *, log_format: str = "json", log_dir: Path | None = None) -> None:
    """Route the root logger (and uvicorn's) to stdout, as JSON or console lines, and to a file."""
    global _terminal, _file, _installed
    _terminal = BatchedStreamHandler(sys.stdout)
    _terminal.setFormatter(ConsoleFormatter(service) if log_format == "console" else JsonFormatter(service))
    _terminal.setLevel(level.upper())
    if log_format == "console":
        _terminal.addFilter(_for_a_person)
    handlers: list[logging.Handler] = [_terminal]
    _file = None
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        _file = BatchedStreamHandler((log_dir / f"{service}.log").open("a", encoding="utf-8"))
        _file.setFormatter(JsonFormatter(service))
        _file.setLevel(logging.INFO)
        handlers.append(_file)
    root = logging.getLogger()
    root.handlers[:] = handlers
    _installed = list(handlers)
    terminal_level = logging.getLevelName(level.upper())
    root.setLevel(min(terminal_level, logging.INFO) if _file else terminal_level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # The access log below replaces uvicorn's, which knows nothing of request ids; httpx's own line
    # per call (half of a busy terminal) says less than the access line of the service called.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


_access = logging.getLogger("tefu.access")
_terminal: BatchedStreamHandler | None = None  # the handlers configure_logging installed
_file: BatchedStreamHandler | None = None
_installed: list[logging.Handler] = []  # both, as configure_logging left them: the direct path's condition
_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def _between_services(scope: Scope) -> bool:
    if scope["path"] in _QUIET_PATHS:
        return True
    for name, value in scope.get("headers", ()):
        if name == b"user-agent":
            return value == b"tefu-service"
    return False


def log_request(scope: Scope, status: int, seconds: float) -> None:
    """One log line a request: method, path, status, duration (called as each request ends).

    With the handlers of configure_logging as the only ones, the line is made and handed to them
    directly: the same line a LogRecord would give, for a fifth of the cost, on every request.
    Anywhere else (a test's own handlers) it goes through logging as usual.
    """
    if not _access.isEnabledFor(logging.INFO):
        return
    duration_ms = round(seconds * 1000, 2)
    root = logging.getLogger()
    if _installed and root.handlers == _installed and not _access.handlers and not _access.filters:
        method, path = scope["method"], scope["path"]
        if _file is not None:
            _file.add_line(_file.formatter.access_line(method, path, status, duration_ms))  # type: ignore[union-attr]
        terminal = _terminal
        if terminal is not None and terminal.level <= logging.INFO and not (
                isinstance(terminal.formatter, ConsoleFormatter) and _between_services(scope)):
            terminal.add_line(terminal.formatter.access_line(method, path, status, duration_ms))  # type: ignore[union-attr]
        return
    _access.info("%s %s %s", scope["method"], scope["path"], status, extra={
        "method": scope["method"], "path": scope["path"], "status": status, "duration_ms": duration_ms})
