"""Creates with a caller's id (what lets the sales service retry a lead's conversion without
making anything twice), and finding an account by its exact name."""

import pytest

from infra.errors import Conflict, ValidationFailed
from services.customers.models import Account, Contact
from services.customers.tests.test_contacts import count, events

CHOSEN = "5b1f3c7a-9d2e-5f40-8a6b-0c1d2e3f4a5b"


def test_an_account_made_with_an_id_is_answered_again_on_a_retry(service, session):
    first = service.create_account({"name": "Acme"}, {"id": CHOSEN})
    again = service.create_account({"name": "Acme"}, {"id": CHOSEN})

    assert first["id"] == CHOSEN and again == first
    assert count(session, Account) == 1
    assert [e["type"] for e in events(session)] == ["account_created"]


def test_a_contact_made_with_an_id_is_answered_again_on_a_retry(service, session):
    data = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}
    first = service.create_contact(data, {"id": CHOSEN})
    again = service.create_contact(data, {"id": CHOSEN})

    assert first["id"] == CHOSEN and again == first
    assert count(session, Contact) == 1


def test_an_id_taken_by_another_record_is_a_conflict(service, session):
    service.create_account({"name": "Acme"}, {"id": CHOSEN})
    service.create_contact({"last_name": "Li"}, {"id": CHOSEN})

    with pytest.raises(Conflict) as account:
        service.create_account({"name": "Other"}, {"id": CHOSEN})
    with pytest.raises(Conflict) as contact:
        service.create_contact({"last_name": "Wu"}, {"id": CHOSEN})

    assert "id" in account.value.errors and "id" in contact.value.errors
    assert count(session, Account) == 1 and count(session, Contact) == 1


def test_the_id_of_a_merged_contact_is_not_given_out_again(service, session):
    survivor = service.create_contact({"last_name": "Li"})
    merged = service.create_contact({"last_name": "Li Wei"}, {"id": CHOSEN})
    service.merge_contacts(survivor["id"], {"duplicate_id": merged["id"]})

    with pytest.raises(Conflict) as refused:
        service.create_contact({"last_name": "Li Wei"}, {"id": CHOSEN})

    assert "id" in refused.value.errors
    assert count(session, Contact) == 1


def test_a_bad_id_is_refused(service, session):
    with pytest.raises(ValidationFailed) as refused:
        service.create_account({"name": "Acme"}, {"id": "mine"})

    assert "id" in refused.value.errors
    assert count(session, Account) == 0


def test_an_account_is_found_by_its_exact_name_in_any_case(service):
    acme = service.create_account({"name": "Acme Trading"})
    service.create_account({"name": "Acme Trading Asia"})
    huawei = service.create_account({"name": "华为"})

    assert service.find_account_by_name(" acme TRADING ")["id"] == acme["id"]
    assert service.find_account_by_name("华为")["id"] == huawei["id"]
    assert service.find_account_by_name("Acme") is None
