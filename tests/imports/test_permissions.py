"""Import jobs are their creator's and the TTO's; importing at all is a grant (``add``)."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from opentto.core.models import AuditEvent, Grant
from opentto.core.permissions import permitted
from opentto.imports.models import ImportJob
from opentto.imports.services import (
    default_import_actor,
    import_job_configure,
    import_job_create,
    import_job_repeat,
    import_job_run,
)
from opentto.results.models import IPAsset

from ..security.helpers import client_for

pytestmark = pytest.mark.django_db

CSV = b"title_zh,kind,field,trl,owners,inventors\n\xe6\xb5\x8b\xe8\xaf\x95,other,other,3,x,y\n"


@pytest.fixture
def job(manager):
    return import_job_create(kind="results", file=ContentFile(CSV, name="r.csv"), actor=manager)


@pytest.fixture
def inventor_imports(inventor):
    """An admin lets inventors import (``add`` on import jobs)."""
    Grant.objects.create(
        role="inventor", object_type="imports.importjob", constraint="all", actions=["add"]
    )
    return inventor


@pytest.mark.parametrize(
    "who, sees",
    [
        (None, False),
        ("admin_user", True),
        ("manager", True),
        ("inventor", False),
        ("enterprise_user", False),
        ("reviewer", False),
        ("official", False),
        ("investor", False),
    ],
)
def test_a_job_is_seen_by_the_tto_only_by_default(request, who, sees, job):
    user = request.getfixturevalue(who) if who else None
    response = client_for(user).get(reverse("imports:job", args=[job.token]))
    assert response.status_code == (200 if sees else (302 if who is None else 404))
    errors = client_for(user).get(reverse("imports:errors", args=[job.token]))
    assert errors.status_code == (200 if sees else (302 if who is None else 404))


def test_a_creator_sees_their_own_jobs_and_no_one_elses(inventor_imports, manager, job):
    assert permitted(inventor_imports, ImportJob, "add")
    own = import_job_create(
        kind="results", file=ContentFile(CSV, name="mine.csv"), actor=inventor_imports
    )
    assert list(ImportJob.objects.restrict(inventor_imports, "view")) == [own]
    client = client_for(inventor_imports)
    index = client.get(reverse("imports:index")).content.decode()
    assert "mine.csv" in index and "r.csv" not in index
    assert client.get(reverse("imports:job", args=[own.token])).status_code == 200
    assert client.get(reverse("imports:job", args=[job.token])).status_code == 404
    # Not theirs: configuring and repeating are refused and change nothing.
    before = (ImportJob.objects.count(), AuditEvent.objects.count())
    with pytest.raises(PermissionError):
        import_job_configure(job=job, mapping={"0": "title_zh"}, options={}, actor=inventor_imports)
    with pytest.raises(PermissionError):
        import_job_repeat(job=job, dry_run=True, actor=inventor_imports)
    assert client.post(reverse("imports:repeat", args=[job.token])).status_code == 404
    assert (ImportJob.objects.count(), AuditEvent.objects.count()) == before
    job.refresh_from_db()
    assert job.mapping != {"0": "title_zh"}
    # The TTO sees both.
    assert set(ImportJob.objects.restrict(manager, "view")) == {job, own}


def test_switching_off_the_tto_grant_takes_importing_away(manager, job):
    Grant.objects.filter(role="manager", object_type="imports.importjob").update(enabled=False)
    client = client_for(manager)
    assert client.get(reverse("imports:index")).status_code == 404
    assert client.get(reverse("imports:job", args=[job.token])).status_code == 404
    assert client.get(reverse("imports:template", args=["results", "csv"])).status_code == 404


def test_the_default_actor_may_import_and_onboard_any_result(manager, admin_user, inventor_imports):
    assert (
        default_import_actor() == manager
    )  # the first such user (by id); the inventor may not onboard any result
    Grant.objects.filter(role="manager", object_type="imports.importjob").update(enabled=False)
    assert default_import_actor() == admin_user


def test_an_import_updates_only_patents_of_results_the_importer_may_change(
    other_inventor, manager, onboarded
):
    """Another organisation's inventor, allowed to import, cannot rewrite a patent of a result
    they may not change; the TTO can."""
    Grant.objects.create(
        role="inventor", object_type="imports.importjob", constraint="all", actions=["add"]
    )
    raw = (
        "title_zh,kind,field,trl,owners,inventors,application_number,grant_number\n"
        "改写,other,other,3,x,y,CN202210123456.1,ZL999\n"
    ).encode()
    job = import_job_create(
        kind="results",
        file=ContentFile(raw, name="p.csv"),
        actor=other_inventor,
        dry_run=False,
        language="en",
    )
    job = import_job_run(job=job)
    assert (
        job.error_count == 1
        and job.errors[0]["message"] == "This patent belongs to a result you may not change."
    )
    assert IPAsset.objects.get(application_number="CN202210123456.1").grant_number == ""
    staff_job = import_job_run(
        job=import_job_create(
            kind="results", file=ContentFile(raw, name="p.csv"), actor=manager, dry_run=False
        )
    )
    assert staff_job.updated_count == 1
    assert IPAsset.objects.get(application_number="CN202210123456.1").grant_number == "ZL999"
