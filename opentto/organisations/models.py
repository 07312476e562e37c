"""Organisations (universities, institutes, hospitals, enterprises, …) and the people in them."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from opentto.core.i18n import bilingual
from opentto.core.permissions import RestrictedQuerySet


class OrganisationKindChoices(models.TextChoices):
    UNIVERSITY = "university", _("University")
    INSTITUTE = "institute", _("Research institute")
    HOSPITAL = "hospital", _("Hospital")
    ENTERPRISE = "enterprise", _("Enterprise")
    INVESTOR = "investor", _("Investor")
    BANK = "bank", _("Bank")
    GOVERNMENT = "government", _("Government body")
    SERVICE = "service", _("Service provider")


RESEARCH_KINDS = (
    OrganisationKindChoices.UNIVERSITY,
    OrganisationKindChoices.INSTITUTE,
    OrganisationKindChoices.HOSPITAL,
)


class OrganisationQuerySet(RestrictedQuerySet["Organisation"]):
    pass


class Organisation(models.Model):
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=OrganisationKindChoices.choices)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    city_zh = models.CharField(_("city (Chinese)"), max_length=100, blank=True)
    city_en = models.CharField(_("city (English)"), max_length=100, blank=True)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Its credit code is another organisation's that whoever added it may not see: stored as
    # entered, held for the TTO (opentto.clashes), and outside the code's uniqueness.
    is_held = models.BooleanField(_("held for the TTO"), default=False, editable=False)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name_zh", "name_en", "id"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~models.Q(credit_code="") & models.Q(is_held=False),
                name="organisations_credit_code_unique",
            ),
            models.CheckConstraint(
                condition=~models.Q(name_zh="", name_en=""), name="organisations_name_present"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=OrganisationKindChoices.values),
                name="organisations_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return bilingual(self.name_zh, self.name_en, get_language())

    @property
    def city(self) -> str:
        return bilingual(self.city_zh, self.city_en, get_language())

    @property
    def description(self) -> str:
        return bilingual(self.description_zh, self.description_en, get_language())

    @property
    def is_research(self) -> bool:
        return self.kind in RESEARCH_KINDS


class PersonQuerySet(RestrictedQuerySet["Person"]):
    pass


class Person(models.Model):
    name_zh = models.CharField(_("name (Chinese)"), max_length=100, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    organisations = models.ManyToManyField(
        Organisation, through="Membership", related_name="people", verbose_name=_("organisations")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Personal data under PIPL: encrypted at rest (opentto.accounts.crypto), shown masked, and only
    # to the roles that pay inventors; written through opentto.access.privacy.
    id_number_encrypted = models.TextField(blank=True, default="", editable=False)
    bank_name_encrypted = models.TextField(blank=True, default="", editable=False)
    bank_account_encrypted = models.TextField(blank=True, default="", editable=False)
    consent_given_at = models.DateTimeField(
        _("consent given"), null=True, blank=True, editable=False
    )
    consent_version = models.CharField(
        _("consent text version"), max_length=16, blank=True, default="", editable=False
    )
    private_data_retain_until = models.DateField(
        _("keep personal data until"), null=True, blank=True, editable=False
    )
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True, editable=False)

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["name_en", "name_zh", "id"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(name_zh="", name_en=""),
                name="organisations_person_name_present",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return bilingual(self.name_zh, self.name_en, get_language())


class MembershipRoleChoices(models.TextChoices):
    RESEARCHER = "researcher", _("Researcher")
    TEAM_LEAD = "team_lead", _("Team lead")
    STAFF = "staff", _("Staff")
    MANAGER = "manager", _("Manager")
    CONTACT = "contact", _("Contact person")


class MembershipQuerySet(RestrictedQuerySet["Membership"]):
    pass


class Membership(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(
        _("role"),
        max_length=16,
        choices=MembershipRoleChoices.choices,
        default=MembershipRoleChoices.RESEARCHER,
    )
    position_zh = models.CharField(_("position (Chinese)"), max_length=100, blank=True)
    position_en = models.CharField(_("position (English)"), max_length=100, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["organisation_id", "person_id"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "organisation"], name="organisations_membership_unique"
            )
        ]

    @property
    def position(self) -> str:
        return bilingual(self.position_zh, self.position_en, get_language())

    def __str__(self) -> str:
        return f"{self.person} @ {self.organisation}"
