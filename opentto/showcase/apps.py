from django.apps import AppConfig


class ShowcaseConfig(AppConfig):
    """The public showcase (/showcase/): public results as a catalogue anyone can browse and search,
    one page per technology; a signed-in enterprise user's interest becomes a match (demands)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.showcase"
    label = "showcase"
