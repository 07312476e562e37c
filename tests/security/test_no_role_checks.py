"""No role check outside the permission modules: views, selectors, services, forms, templates and
template tags ask for an *action* (``permitted``, ``allows``, ``restrict``, ``users_permitted``)
and the grants decide. A role is read only in ``opentto/core/permissions.py`` and the apps'
``permissions.py`` modules (and set where users are made: accounts, demo data)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "opentto"

#: What a role check looks like in Python.
PY_PATTERNS = {
    "is_platform_staff": re.compile(r"\bis_platform_staff\b"),
    "user_role()": re.compile(r"\buser_role\s*\("),
    "role comparison": re.compile(r"\.role\s*(==|!=|\bin\b|\bnot\s+in\b)"),
    "query by role": re.compile(r"(?:filter|exclude|get|Q)\([^)]*\brole(?:__in)?\s*="),
    "role constant": re.compile(r"\bUserRoleChoices\b|\b[A-Z_]*ROLES\b"),
    "superuser flag": re.compile(r"\bis_superuser\b"),
}
#: What a role check looks like in a template (a flag named after a role, or the role itself).
HTML_PATTERNS = {
    "role in template": re.compile(r"\buser\.role\b|\.is_superuser\b"),
    "role-named flag": re.compile(
        r"\bis_(staff|admin|official|manager|reviewer|investor|inventor)\b"
    ),
}

#: Files where roles are defined or assigned, not checked.
ALLOWED = {
    "core/permissions.py",
    "core/models.py",  # GrantRoleChoices: the roles a grant can name
    "core/roles.py",  # UserRoleChoices: the roles (below every app, for core/permissions.py)
    "accounts/models.py",  # the role field
    "accounts/admin.py",  # the user admin sets roles
}


def _allowed(rel: str) -> bool:
    return (
        rel in ALLOWED
        or rel.endswith("/permissions.py")
        or rel.endswith("/demo.py")
        or rel.startswith(("demo/", "locale/", "settings/"))
        or "/migrations/" in rel
    )


def _offences() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(ROOT.rglob("*")):
        if path.suffix not in {".py", ".html", ".txt"} or not path.is_file():
            continue
        rel = path.relative_to(ROOT).as_posix()
        if _allowed(rel):
            continue
        patterns = PY_PATTERNS if path.suffix == ".py" else HTML_PATTERNS
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for name, pattern in patterns.items():
                if pattern.search(line):
                    found.setdefault(rel, []).append(
                        f"{rel}:{number}: {name}: {line.strip()[:120]}"
                    )
    return found


def test_no_role_checks_outside_the_permission_modules():
    found = _offences()
    lines = [line for rel in sorted(found) for line in found[rel]]
    assert not lines, (
        "Ask the permission module for an action instead of checking a role:\n" + "\n".join(lines)
    )


def test_the_patterns_catch_role_checks():
    samples = [
        "if is_platform_staff(user):",
        "if user_role(request.user) == 'reviewer':",
        "if reviewer.role != UserRoleChoices.REVIEWER:",
        "User.objects.filter(role=UserRoleChoices.MANAGER, is_active=True)",
        "writers = frozenset({UserRoleChoices.ADMIN})",
        "REQUESTER_ROLES = {1}",
        "not actor.is_superuser",
    ]
    for sample in samples:
        assert any(p.search(sample) for p in PY_PATTERNS.values()), sample
    assert not any(p.search("if permitted(user, Deal, 'change'):") for p in PY_PATTERNS.values())
    assert HTML_PATTERNS["role-named flag"].search("{% if is_staff %}")
    assert not any(p.search('<div role="alert">') for p in HTML_PATTERNS.values())
