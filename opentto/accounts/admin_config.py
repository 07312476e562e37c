"""Django's admin app with OpenTTO's admin site as the default one (``INSTALLED_APPS`` names this
class instead of ``django.contrib.admin``), so every ``admin.register`` — OpenTTO's and axes' —
lands on :class:`opentto.accounts.admin_site.OpenTTOAdminSite`."""

from django.contrib.admin.apps import AdminConfig


class OpenTTOAdminConfig(AdminConfig):
    default_site = "opentto.accounts.admin_site.OpenTTOAdminSite"
