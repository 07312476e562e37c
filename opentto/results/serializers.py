"""How an API resource of any app refers to a result (id and titles)."""

from __future__ import annotations

from rest_framework import serializers

from .models import Result


class ResultRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Result
        fields = ["id", "title_zh", "title_en"]
