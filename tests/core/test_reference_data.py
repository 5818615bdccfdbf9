import pytest
from django.core.management import call_command

from opportunities.models import Stage


@pytest.mark.django_db(transaction=True)
def test_default_stages_come_back_after_a_flush():
    Stage.objects.all().delete()
    call_command("flush", "--noinput")
    assert Stage.objects.filter(kind=Stage.Kind.OPEN).exists()
    assert Stage.objects.filter(kind=Stage.Kind.WON).count() == 1
