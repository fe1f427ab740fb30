"""Fixtures of these tests: the receiver under test, pointed at the test's
mock, with deskmock's conformance extension installed for it."""
import pytest

from conformance_extension import EXTENSION, SECRET, SOURCE_ID
from desk_receiver import Receiver


@pytest.fixture
def receiver(deskmock, request):
    """The receiver, on the test's mock; @pytest.mark.source_id(None) makes
    it write back without sourceId."""
    marker = request.node.get_closest_marker("source_id")
    r = Receiver(deskmock.url, SECRET, marker.args[0] if marker else SOURCE_ID)
    yield r
    r.close()


@pytest.fixture
def installation(deskmock, receiver):
    """The extension installed with its webhook at the receiver, once the
    receiver has accepted Desk's authorise callback."""
    inst = deskmock.install_extension(extension_dir=EXTENSION,
                                      webhook_url=receiver.url + "/hook",
                                      authorise_url=receiver.url + "/authorise")
    callbacks = deskmock.journal(kind="callback", wait=5000)
    assert [c["ok"] for c in callbacks] == [True]
    return inst


def pytest_configure(config):
    config.addinivalue_line("markers", "source_id(value): the receiver's sourceId")
