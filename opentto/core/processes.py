"""Which process is doing a piece of work, and whether it still runs.

Long work (an import) records :func:`process_identity` when it starts. Any process can later ask
:func:`process_state`: ``"alive"``, ``"gone"`` (it ended, was killed, or the machine restarted), or
``"unknown"`` (it ran on another machine or in another PID namespace, e.g. another container; the
caller then falls back to a heartbeat). The identity holds the host name, the kernel's boot id,
the PID namespace, the PID and the process's start time (so a PID used again by a newer process
does not pass for the old one). Linux ``/proc`` gives all of it; elsewhere only host and PID are
compared.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

PROC = Path("/proc")


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def _boot_id() -> str:
    return _read(PROC / "sys/kernel/random/boot_id")


def _pid_namespace() -> str:
    try:
        return os.readlink(PROC / "self/ns/pid")
    except OSError:
        return ""


def _stat(pid: int) -> tuple[str, str] | None:
    """(state, start time in clock ticks since boot) of a process, ``None`` if there is none."""
    raw = _read(PROC / str(pid) / "stat")
    if not raw:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after its ")".
    fields = raw[raw.rfind(")") + 2 :].split()
    return (fields[0], fields[19]) if len(fields) > 19 else None


def process_identity(pid: int | None = None) -> str:
    pid = os.getpid() if pid is None else pid
    stat = _stat(pid)
    return "/".join(
        [socket.gethostname(), _boot_id(), _pid_namespace(), str(pid), stat[1] if stat else ""]
    )


def process_state(identity: str) -> str:
    """``"alive"``, ``"gone"`` or ``"unknown"`` for an identity from :func:`process_identity`."""
    parts = identity.split("/")
    if len(parts) != 5 or not parts[3].isdigit():
        return "unknown"
    host, boot, namespace, pid_text, started = parts
    if host != socket.gethostname():
        return "unknown"
    if boot and _boot_id() and boot != _boot_id():
        return "gone"  # the machine restarted since
    if namespace != _pid_namespace():
        return "unknown"
    pid = int(pid_text)
    if PROC.is_dir():
        stat = _stat(pid)
        if stat is None or stat[0] in {"Z", "X"}:
            return "gone"
        return "alive" if not started or stat[1] == started else "gone"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return "gone"
    except PermissionError:
        return "alive"
    return "alive"
