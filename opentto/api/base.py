"""Moved to ``opentto.core.rest`` (the REST base classes every app's ``api.py`` builds on sit in
core, below the apps). This re-export remains only for ``opentto/planning/api.py`` while the
planning split is in progress (issue 19 part 3): once merged, import from ``opentto.core.rest`` there
and delete this module."""

from opentto.core.rest import FilterParam, RestrictedViewSet, service_call

__all__ = ["FilterParam", "RestrictedViewSet", "service_call"]
