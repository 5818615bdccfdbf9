"""Races settled by PostgreSQL: real threads, real transactions."""

import threading

import pytest
from django.db import connection

from accounts.models import PortalSettings, User
from accounts.services import partner_user_enable, prm_enable
from prm_portal.core.errors import InvalidTransition
from tests.factories import ContactFactory, PartnerAccountFactory, UserFactory, VendorAdminFactory


def _race(workers):
    barrier = threading.Barrier(len(workers))
    results = []

    def run(fn):
        try:
            barrier.wait()
            fn()
            results.append("ok")
        except InvalidTransition as exc:
            results.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(fn,)) for fn in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_two_admins_enabling_prm_at_once_enable_it_once():
    admins = [VendorAdminFactory(), VendorAdminFactory()]
    results = _race([lambda a=a: prm_enable(actor=a) for a in admins])
    assert results.count("ok") == 1 and any("already enabled" in r for r in results)
    assert PortalSettings.objects.get().prm_enabled_by in admins


@pytest.mark.django_db(transaction=True)
def test_two_contacts_with_the_same_email_enabled_at_once_make_one_user():
    PortalSettings.objects.create(id=1, prm_enabled=True, prm_enabled_at="2026-01-01T00:00:00Z")
    manager = UserFactory(role=User.Role.CHANNEL_MANAGER)
    account = PartnerAccountFactory(owner=manager)
    contacts = [ContactFactory(partner_account=account, email="twin@partner.example") for _ in range(2)]
    results = _race([
        lambda c=c: partner_user_enable(actor=manager, contact=c, email=c.email, first_name="T", last_name="T",
                                        role=User.Role.PARTNER_USER)
        for c in contacts
    ])
    assert results.count("ok") == 1
    assert any("already exists" in r for r in results)
    assert User.objects.filter(email="twin@partner.example").count() == 1
