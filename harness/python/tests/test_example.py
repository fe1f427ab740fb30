"""test_example.py -- testing a webhook receiver with deskmock's pytest
plugin (harness/python/README.md shows it). The ``deskmock`` fixture is a
mock of this test's own; ``receiver`` and ``installation`` (conftest.py)
start the receiver pointed at it and install the extension."""
import pytest

NEW_TICKET = {"subject": "Printer on fire", "departmentId": "18920000000000101",
              "contactId": "18920000000000301"}


@pytest.mark.deskmock(retry_schedule="none")  # a failed delivery fails now, not on a retry
def test_new_ticket_gets_one_comment_that_does_not_loop(deskmock, receiver, installation):
    mark = deskmock.mark()
    ticket = deskmock.api("POST", "/api/v1/tickets", NEW_TICKET, as_="agent")
    assert ticket.status == 200

    deskmock.expect_delivered("Ticket_Add", after=mark)
    deskmock.expect_call(after=mark, method="POST",
                         url="*/api/v1/tickets/%s/comments" % ticket.json["id"])
    deskmock.expect_no_loop(after=mark)
    deskmock.expect_no_duplicate_writes(after=mark)


def test_status_change_is_delivered_and_writes_nothing(deskmock, receiver, installation):
    mark = deskmock.mark()
    deskmock.api("PATCH", "/api/v1/tickets/18920000000000401", {"status": "On Hold"}, as_="agent")
    deskmock.expect_delivered("Ticket_Update", after=mark, where={"status": "On Hold"})
    deskmock.expect_no_call(after=mark, method="POST", quiet_ms=300)


def test_forged_delivery_is_refused(deskmock, receiver, installation):
    forged = deskmock.forge(webhook_id=installation.webhook_id, jwt="bad-signature", events=[
        {"eventType": "Ticket_Add", "orgId": deskmock.org_id, "eventTime": "1767225600000",
         "payload": {"id": "18920000000000401"}}])
    assert forged.status == 401
    deskmock.expect_refused(forged, quiet_ms=300)


def test_receiver_passes_conformance(deskmock, receiver):
    result = deskmock.run_conformance(receiver=receiver.url + "/hook",
                                      authorise_url=receiver.url + "/authorise")
    assert [c for c in result["cases"] if c["outcome"] == "fail"] == []
