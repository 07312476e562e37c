"""Link the applications submitted before projects were kept to their projects (ADR 0010).

In the order they were submitted, each joins the project of the same deal, or the project sharing
a result whose deal does not differ (the project holding its deal first, else the oldest), or
makes a new one; an ineligible application only joins a project that exists. A project's cap is
the smallest cap per project of the programmes of its eligible applications, its running total
the sum approved, and what was approved above the cap before the cap was kept per project is
recorded as ``legacy_excess_cny`` (such a project has nothing left). The first recognition
number names it."""

from decimal import Decimal

from django.db import migrations

ZERO = Decimal("0.00")


def link(apps, schema_editor):
    Application = apps.get_model("subsidies", "Application")
    Project = apps.get_model("subsidies", "SubsidyProject")
    links = Application.results.through
    results_of: dict[int, set[int]] = {}
    for application_id, result_id in links.objects.values_list("application_id", "result_id"):
        results_of.setdefault(application_id, set()).add(result_id)
    projects: list[dict] = []
    for app in Application.objects.filter(submitted_at__isnull=False).select_related("programme").order_by("submitted_at", "pk"):
        results = results_of.get(app.pk, set())
        matches = [
            p for p in projects
            if (app.deal_id and p["deal"] == app.deal_id)
            or (results & p["results"] and (not app.deal_id or p["deal"] is None or p["deal"] == app.deal_id))
        ]
        matches.sort(key=lambda p: (p["deal"] != app.deal_id or app.deal_id is None, p["order"]))
        eligible = app.status != "ineligible"
        if matches:
            project = matches[0]
        elif eligible:
            project = {"order": len(projects), "deal": app.deal_id, "results": set(), "apps": [], "caps": [], "numbers": [],
                       "created_at": app.submitted_at}
            projects.append(project)
        else:
            continue
        project["apps"].append(app)
        if eligible:
            project["results"] |= results
            if project["deal"] is None and app.deal_id:
                project["deal"] = app.deal_id
            project["caps"].append(app.cap_cny or app.programme.cap_per_project_cny)
        if app.recognition_number:
            project["numbers"].append((app.recognised_at, app.pk, app.recognition_number))
    used: set[str] = set()
    for p in projects:
        approved = sum((a.approved_cny or ZERO for a in p["apps"]), ZERO)
        cap = min(p["caps"]) if p["caps"] else min(a.programme.cap_per_project_cny for a in p["apps"])
        number = next((n for _at, _pk, n in sorted(p["numbers"], key=lambda x: (x[0] is None, x[0], x[1])) if n not in used), "")
        used.add(number)
        row = Project.objects.create(
            recognition_number=number, deal_id=p["deal"], cap_cny=cap,
            approved_cny=approved, legacy_excess_cny=max(approved - cap, ZERO), created_at=p["created_at"],
        )
        row.results.set(p["results"])
        Application.objects.filter(pk__in=[a.pk for a in p["apps"]]).update(project=row)


def unlink(apps, schema_editor):
    apps.get_model("subsidies", "Application").objects.update(project=None)
    apps.get_model("subsidies", "SubsidyProject").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("subsidies", "0003_subsidy_project")]

    operations = [migrations.RunPython(link, unlink)]
