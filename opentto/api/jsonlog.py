"""Structured logs: one JSON object per line (``LOG_FORMAT=json``, the default; ``plain`` for
people reading a terminal). Fields: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``,
and where known ``method``, ``path``, ``status``, ``exc_info``; anything passed in ``extra=``."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "request",
    "server_time",
}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request = record.__dict__.get("request")
        if request is not None and hasattr(request, "path"):
            data["method"] = getattr(request, "method", "")
            data["path"] = request.path
        if "status_code" in record.__dict__:
            data["status"] = record.__dict__["status_code"]
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in data and key != "status_code":
                data[key] = (
                    value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)
                )
        if record.exc_info:
            data["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)
