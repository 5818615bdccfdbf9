"""factory-boy factories shared by every app's tests."""

import factory
from django.utils import timezone

from accounts.models import Contact, PartnerAccount, PartnerLocation, User
from leads.models import Lead, Queue
from opportunities.models import CustomerAccount, CustomerContact, Opportunity, Stage

PASSWORD = "pw-Secret-12345"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = User.Role.CHANNEL_MANAGER
    is_staff = factory.LazyAttribute(lambda u: u.role in User.VENDOR_ROLES)
    last_login = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save(update_fields=["password"])


class VendorAdminFactory(UserFactory):
    role = User.Role.VENDOR_ADMIN
    is_superuser = True


class PartnerAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerAccount

    name = factory.Sequence(lambda n: f"Partner {n}")
    owner = factory.SubFactory(UserFactory)
    is_partner = True
    partner_enabled_at = factory.LazyFunction(timezone.now)
    country = "CZ"


class PartnerLocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerLocation

    partner_account = factory.SubFactory(PartnerAccountFactory)
    name = factory.Sequence(lambda n: f"Office {n}")
    city = "Prague"
    country = "CZ"


class PartnerUserFactory(UserFactory):
    role = User.Role.PARTNER_USER
    partner_account = factory.SubFactory(PartnerAccountFactory)


class PartnerAdminFactory(PartnerUserFactory):
    role = User.Role.PARTNER_ADMIN


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    partner_account = factory.SubFactory(PartnerAccountFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"contact{n}@partner.example")


class QueueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Queue
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Queue {n}")

    @factory.post_generation
    def accounts(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.member_accounts.add(*extracted)

    @factory.post_generation
    def users(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.member_users.add(*extracted)


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    company = factory.Faker("company")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"lead{n}@customer.example")
    country = "CZ"
    industry = "Manufacturing"
    source = "Web form"


class CustomerAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerAccount

    name = factory.Faker("company")
    partner_account = factory.SubFactory(PartnerAccountFactory)


class CustomerContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerContact

    account = factory.SubFactory(CustomerAccountFactory)
    last_name = factory.Faker("last_name")


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opportunity

    name = factory.Sequence(lambda n: f"Deal {n}")
    partner_account = factory.SubFactory(PartnerAccountFactory)
    customer_account = factory.SubFactory(
        CustomerAccountFactory, partner_account=factory.SelfAttribute("..partner_account")
    )
    owner = factory.SubFactory(PartnerUserFactory, partner_account=factory.SelfAttribute("..partner_account"))
    stage = factory.LazyFunction(lambda: Stage.objects.filter(kind="open").order_by("order").first())
    amount = 10000

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        """A deal made here skips the services: count it in the dashboards' pipeline summary as they would."""
        super()._after_postgeneration(instance, create, results)
        if create:
            from opportunities.services import _pipeline_state, _pipeline_summary_shift

            _pipeline_summary_shift(after=_pipeline_state(instance))

