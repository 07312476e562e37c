"""Routes outside the language prefix: the REST API (/api/v1/), its schema, docs and /metrics.

Resources of other apps are registered from ``opentto/<app>/api.py`` (``ROUTES``; see
``opentto/core/rest.py``)."""

from __future__ import annotations

import importlib

from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from . import views
from .metrics import metrics_view

router = DefaultRouter()
router.register("results", views.ResultViewSet, basename="result")
router.register("ip-assets", views.IPAssetViewSet, basename="ipasset")
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("people", views.PersonViewSet, basename="person")
router.register("deals", views.DealViewSet, basename="deal")


def _discover_app_routes() -> None:
    from django.apps import apps

    # App names, not INSTALLED_APPS entries (an entry may name an AppConfig class).
    for name in (config.name for config in apps.get_app_configs()):
        if not name.startswith("opentto.") or name == "opentto.api":
            continue
        try:
            module = importlib.import_module(f"{name}.api")
        except ModuleNotFoundError as exc:
            if exc.name == f"{name}.api":
                continue
            raise
        for prefix, viewset, *rest in getattr(module, "ROUTES", ()):
            router.register(
                prefix, viewset, basename=rest[0] if rest else prefix.rstrip("s").replace("-", "")
            )


_discover_app_routes()

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/figures/", views.FiguresView.as_view(), name="api-figures"),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/docs/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("metrics", metrics_view, name="metrics"),
]
