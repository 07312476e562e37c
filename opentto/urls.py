from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path

from opentto.accounts.views import LoginView, set_language_view
from opentto.core import health
from opentto.dashboard.views import dashboard_view
from opentto.results import views as result_views
from opentto.showcase.views import home_view

urlpatterns: list[URLPattern | URLResolver] = [
    # Answered by opentto.core.health.HealthCheckMiddleware before any other middleware; the
    # patterns give them names.
    path("healthz", health.readiness_view, name="healthz"),
    path("healthz/live", health.liveness_view, name="healthz_live"),
    path("healthz/ready", health.readiness_view, name="healthz_ready"),
    path("i18n/setlang/", set_language_view, name="set_language"),
    path("", include("opentto.api.urls")),
]

urlpatterns += i18n_patterns(
    path("", home_view, name="home"),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("dashboard/", dashboard_view, name="dashboard"),
    path("results/", include("opentto.results.urls")),
    path("deals/", include("opentto.landing.urls")),
    path("rights/", include("opentto.rights.urls")),
    path("organisations/", include("opentto.directory.urls")),
    path("account/", include("opentto.accounts.urls")),
    path("evaluations/", include("opentto.evaluation.urls")),
    path("planning/", include("opentto.planning.urls")),
    path("demands/", include("opentto.demands.urls")),
    path("showcase/", include("opentto.showcase.urls")),
    path("subsidies/", include("opentto.subsidies.urls")),
    path("tax/", include("opentto.tax.urls")),
    path("poc/", include("opentto.poc.urls")),
    path("imports/", include("opentto.imports.urls")),
    path("clashes/", include("opentto.clashes.urls")),
    path("notifications/", include("opentto.notifications.urls")),
    path("my-work/", include("opentto.worklist.urls")),
    path("portfolio/", include("opentto.portfolio.urls")),
    path("search/", result_views.result_list_view, name="search"),
    path("admin/", admin.site.urls),
    prefix_default_language=True,
)

# A database that does not answer gives 503 (JSON under /api/, a bilingual page elsewhere).
handler500 = "opentto.core.errors.server_error_view"
