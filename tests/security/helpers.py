from __future__ import annotations

from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ROLE_FIXTURES = [
    None,
    "admin_user",
    "manager",
    "inventor",
    "other_inventor",
    "enterprise_user",
    "reviewer",
    "official",
    "investor",
]


def client_for(user=None, **kwargs) -> Client:
    client = Client(**kwargs)
    if user is not None:
        client.force_login(user)
    return client


def pdf(name: str = "claims.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def in_days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)
