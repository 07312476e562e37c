"""Data for the technology-contract registration (技术合同认定登记).

1. Every deal's old ``registration_number`` / ``registration_date`` moves into a
   ``ContractRegistration`` (every value kept): a date (with or without a number) is a registration
   recorded by the office (status ``registered``, ``registered_on`` = the date); a number without a
   date (the old form refused it, but a row could hold it) is kept as an application (``applied``).
   The technology-related income was never recorded: the deal page flags it.
2. ``contract_kind`` is set from ``deal_type`` where that is unambiguous
   (``CONTRACT_KIND_OF_DEAL_TYPE``, copied here as it stands today); technology development,
   equity and spin-off deals stay unclassified.
3. The TTO's default grant rows on ``landing.deal`` get the new ``register_contract`` action
   (ADR 0012); a row an admin switched off stays off.
"""

from django.db import migrations

KIND_OF_DEAL_TYPE = {
    "licence_exclusive": "licence",
    "licence_sole": "licence",
    "licence_non_exclusive": "licence",
    "assignment": "transfer",
    "commissioned_rd": "dev_commissioned",
    "joint_development": "dev_cooperative",
    "tech_consulting": "consulting",
    "tech_service": "service",
}

#: (role, object type, constraint, actions added)
ADDED = [
    ("admin", "landing.deal", "all", ("register_contract",)),
    ("manager", "landing.deal", "all", ("register_contract",)),
]


def forwards(apps, schema_editor):
    Deal = apps.get_model("landing", "Deal")
    ContractRegistration = apps.get_model("landing", "ContractRegistration")
    Grant = apps.get_model("core", "Grant")
    db = schema_editor.connection.alias
    for deal in Deal.objects.using(db).all().only("pk", "deal_type", "contract_kind", "registration_number", "registration_date"):
        if deal.registration_number or deal.registration_date:
            ContractRegistration.objects.using(db).create(
                deal_id=deal.pk, number=deal.registration_number or "", registered_on=deal.registration_date,
                status="registered" if deal.registration_date else "applied",
            )
        if not deal.contract_kind and deal.deal_type in KIND_OF_DEAL_TYPE:
            Deal.objects.using(db).filter(pk=deal.pk).update(contract_kind=KIND_OF_DEAL_TYPE[deal.deal_type])
    for role, object_type, constraint, actions in ADDED:
        for grant in Grant.objects.using(db).filter(role=role, object_type=object_type, constraint=constraint, is_default=True):
            merged = sorted(set(grant.actions or []) | set(actions))
            if merged != sorted(grant.actions or []):
                grant.actions = merged
                grant.save(update_fields=["actions"])


def backwards(apps, schema_editor):
    Deal = apps.get_model("landing", "Deal")
    ContractRegistration = apps.get_model("landing", "ContractRegistration")
    Grant = apps.get_model("core", "Grant")
    db = schema_editor.connection.alias
    for registration in ContractRegistration.objects.using(db).all():
        Deal.objects.using(db).filter(pk=registration.deal_id).update(
            registration_number=registration.number, registration_date=registration.registered_on,
        )
    for role, object_type, constraint, actions in ADDED:
        for grant in Grant.objects.using(db).filter(role=role, object_type=object_type, constraint=constraint, is_default=True):
            grant.actions = sorted(set(grant.actions or []) - set(actions))
            grant.save(update_fields=["actions"])


class Migration(migrations.Migration):
    dependencies = [("landing", "0004_contract_registration"), ("core", "0004_reviewer_official_investor_grants")]
    operations = [migrations.RunPython(forwards, backwards)]
