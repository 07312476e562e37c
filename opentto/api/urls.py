"""Routes outside the language prefix: the REST API (/api/v1/), its schema and /metrics."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
