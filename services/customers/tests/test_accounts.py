import pytest

from infra.errors import NotFound, ValidationFailed
from services.customers.tests.test_contacts import events


def test_create_read_update_an_account(service, session):
    account = service.create_account({"name": "Acme", "industry": "Manufacturing"})

    assert service.get_account(account["id"])["name"] == "Acme"
    updated = service.update_account(account["id"], {"website": "https://acme.example"}, 1)
    assert updated["version"] == 2
    assert [e["type"] for e in events(session)] == ["account_created", "account_updated"]


def test_an_account_needs_a_name(service, session):
    with pytest.raises(ValidationFailed) as refused:
        service.create_account({"industry": "Retail"})

    assert list(refused.value.errors) == ["name"]
    assert events(session) == []


def test_deleting_an_account_keeps_its_contacts_unlinked(service, session):
    account = service.create_account({"name": "Acme"})
    contact = service.create_contact({"last_name": "Coyote", "account_id": account["id"]})

    service.delete_account(account["id"])

    with pytest.raises(NotFound):
        service.get_account(account["id"])
    assert service.get_contact(contact["id"])["account_id"] is None
    assert [e["type"] for e in events(session)][-2:] == ["contact_updated", "account_deleted"]


def test_accounts_filter_by_industry_and_sort_by_name(service):
    for name, industry in [("beta", "Retail"), ("Alpha", "Retail"), ("Gamma", "Energy")]:
        service.create_account({"name": name, "industry": industry})

    page = service.list_accounts({"industry": "retail", "sort": "name"})

    assert [a["name"] for a in page["items"]] == ["Alpha", "beta"]
