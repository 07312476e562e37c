from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from opentto.core.audit import audit_record

from .models import User


def user_set_language(*, user: User, language: str, actor: User) -> User:
    if language not in {code for code, _name in settings.LANGUAGES} | {""}:
        raise ValidationError({"language": [_("Choose 中文 or English.")]})
    if actor.pk != user.pk:
        raise PermissionError("a user's language is theirs to choose")
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language
        audit_record(actor=actor, action="user.set_language", obj=user, payload={"language": language})
    return user
