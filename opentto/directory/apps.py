from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    """The directory of organisations and people (/organisations/): lists with the results each
    may be seen with, detail pages and creation forms. Above results and access (it counts and
    lists results, and shows private data to who may see it); the models and services stay in
    ``opentto.organisations``, below results. URL names keep the ``organisations:`` namespace."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.directory"
    label = "directory"
