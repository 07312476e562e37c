"""How an API resource of any app refers to an organisation (id and names)."""

from __future__ import annotations

from rest_framework import serializers

from .models import Organisation


class OrganisationRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name_zh", "name_en"]
