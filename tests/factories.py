"""factory_boy factories. Results are built through the onboarding service in tests that care
about rules; these factories make the plain rows around them."""

from __future__ import annotations

from decimal import Decimal

import factory

from opentto.accounts.models import User, UserRoleChoices
from opentto.organisations.models import Membership, Organisation, OrganisationKindChoices, Person
from opentto.results.models import Result, ResultInventor, ResultOwner


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name_zh = factory.Sequence(lambda n: f"测试大学{n}")
    name_en = factory.Sequence(lambda n: f"Test University {n}")
    kind = OrganisationKindChoices.UNIVERSITY


class EnterpriseFactory(OrganisationFactory):
    name_zh = factory.Sequence(lambda n: f"测试企业{n}")
    name_en = factory.Sequence(lambda n: f"Test Enterprise {n}")
    kind = OrganisationKindChoices.ENTERPRISE


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name_zh = factory.Sequence(lambda n: f"研究员{n}")
    name_en = factory.Sequence(lambda n: f"Researcher {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    person = factory.SubFactory(PersonFactory)
    organisation = factory.SubFactory(OrganisationFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = UserRoleChoices.ENTERPRISE
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def save_password(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()


class ResultFactory(factory.django.DjangoModelFactory):
    """A plain result row (no pipeline history); use the services for behaviour under test."""

    class Meta:
        model = Result

    title_zh = factory.Sequence(lambda n: f"测试成果{n}")
    title_en = factory.Sequence(lambda n: f"Test result {n}")
    abstract_zh = "公开摘要"
    abstract_en = "Public summary"
    details_zh = "保密细节"
    details_en = "Confidential detail"
    kind = "invention_patent"
    field = "ai"
    trl = 4
    is_public = True

    @factory.post_generation
    def owners(self, create: bool, extracted: list[Organisation] | None, **kwargs: object) -> None:
        if create and extracted:
            for org in extracted:
                ResultOwner.objects.create(result=self, organisation=org)

    @factory.post_generation
    def inventors(
        self, create: bool, extracted: list[tuple[Person, Decimal]] | None, **kwargs: object
    ) -> None:
        if create and extracted:
            for n, (person, share) in enumerate(extracted):
                ResultInventor.objects.create(result=self, person=person, share=share, position=n)
