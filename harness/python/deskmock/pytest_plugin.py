"""pytest plugin of deskmock: the ``deskmock`` fixture, a fresh mock for each
test (stopped after it), and the options that shape it. Loaded by itself
when the package is installed (entry point ``pytest11``), or with
``pytest -p deskmock.pytest_plugin``.

    def test_ticket_is_delivered(deskmock, receiver):
        mark = deskmock.mark()
        ...
        deskmock.expect_delivered("Ticket_Add", after=mark)

Per test, ``@pytest.mark.deskmock(retry_schedule="none", ...)`` passes more
options of ``deskmock.start``.
"""
import pytest

import deskmock as _deskmock


def pytest_addoption(parser):
    group = parser.getgroup("deskmock", "deskmock, a mock Zoho Desk")
    group.addoption("--deskmock-bin", default=None,
                    help="the deskmock binary (default: $DESKMOCK_BIN, else deskmock on the PATH)")
    group.addoption("--deskmock-seed", type=int, default=None,
                    help="id generator seed of each mock (deskmock serve --seed; default 1)")
    group.addoption("--deskmock-clock", choices=("real", "virtual"), default=None,
                    help="clock of each mock (deskmock serve --clock; default real)")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "deskmock(**options): options of deskmock.start for this test's mock")


@pytest.fixture
def deskmock(request):
    """A mock Zoho Desk of this test's own, started before it and stopped
    after it (a mock starts in milliseconds; nothing leaks between tests)."""
    config = request.config
    options = {
        "bin": config.getoption("deskmock_bin"),
        "seed": config.getoption("deskmock_seed"),
        "clock": config.getoption("deskmock_clock"),
    }
    for marker in reversed(list(request.node.iter_markers("deskmock"))):
        options.update(marker.kwargs)
    mock = _deskmock.start(**options)
    try:
        yield mock
    finally:
        mock.stop()
