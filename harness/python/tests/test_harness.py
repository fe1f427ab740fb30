"""test_harness.py -- the package and its pytest plugin against the real
deskmock binary ($DESKMOCK_BIN, else deskmock on the PATH) and a real
receiver on loopback (desk_receiver.py): the loop end to end, expectations
met and not met, an echo loop caught, forged deliveries, conformance, the
plugin's options, and the mock's process life."""
import json
import os
import re
import subprocess
import sys
import textwrap
import time

import pytest

import deskmock as dm
from conformance_extension import EXTENSION, SOURCE_ID

TICKET = "18920000000000401"
NEW_TICKET = {"subject": "Printer on fire", "departmentId": "18920000000000101",
              "contactId": "18920000000000301"}
HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_ROOT = os.path.dirname(HERE)

pytestmark = pytest.mark.deskmock(retry_schedule="none")


# ==== A receiver that behaves ====

def test_install_ticket_delivery_write_back_no_loop(deskmock, receiver, installation):
    mark = deskmock.mark()
    t = deskmock.api("POST", "/api/v1/tickets", NEW_TICKET, as_="agent")
    assert t.status == 200
    deskmock.expect_delivered("Ticket_Add", after=mark, where={"id": t.json["id"]})
    deskmock.expect_call(after=mark, method="POST", url="*/api/v1/tickets/%s/comments" % t.json["id"])
    deskmock.expect_no_loop(after=mark, quiet_ms=300)
    deskmock.expect_no_duplicate_writes(after=mark, quiet_ms=300)
    # the write-back is in Desk: one private comment, made with our sourceId
    comments = deskmock.api("GET", "/api/v1/tickets/%s/comments" % t.json["id"], as_="agent")
    assert [c["content"] for c in comments.json["data"]] == ["Thanks, we got ticket %s" % t.json["ticketNumber"]]
    invokes = deskmock.journal(after=mark, kind="invoke")
    assert [i["sourceId"] for i in invokes] == [SOURCE_ID]
    assert receiver.errors == []


def test_unmet_expectations_raise_assertion_errors_quoting_the_journal(deskmock, receiver, installation):
    mark = deskmock.mark()
    with pytest.raises(dm.ExpectationError) as e:
        deskmock.expect_delivered("Ticket_Add", after=mark, timeout_ms=200)
    assert isinstance(e.value, AssertionError)
    assert e.value.verb == "delivered"
    assert "expected a Ticket_Add delivery answered 200 within 5000 ms" in str(e.value)
    assert "events raised: none" in e.value.report

    t = deskmock.api("POST", "/api/v1/tickets", NEW_TICKET, as_="agent")
    deskmock.expect_call(after=mark, method="POST")
    with pytest.raises(AssertionError) as e:
        deskmock.expect_no_call(after=mark, method="POST", url="*/comments", quiet_ms=200)
    assert re.search(r"invoke #\d+ POST \S+/api/v1/tickets/%s/comments -> 200, made while "
                     r"handling #\d+ Ticket_Add, sourceId %s" % (t.json["id"], SOURCE_ID), str(e.value))
    with pytest.raises(AssertionError, match="at least 2 times"):
        deskmock.expect_call(after=mark, method="POST", min=2, timeout_ms=200)


def test_where_trigger_and_fixture(deskmock, receiver, installation):
    mark = deskmock.mark()
    answer = deskmock.trigger({"eventType": "Ticket_Update", "ticketId": TICKET, "set": {"priority": "Low"}})
    assert answer["events"][0]["eventType"] == "Ticket_Update"
    deskmock.expect_delivered("Ticket_Update", after=mark, where={"priority": "Low"})
    with pytest.raises(AssertionError, match="with payload.priority = High"):
        deskmock.expect_delivered("Ticket_Update", after=mark, where={"priority": "High"}, timeout_ms=200)
    deskmock.fixture("Ticket_Update/status-closed", set={"subject": "Late"})
    deskmock.expect_delivered("Ticket_Update", after=mark, where={"subject": "Late"})


def test_forged_deliveries_are_refused_and_a_genuine_one_is_not(deskmock, receiver, installation):
    events = [{"eventType": "Ticket_Add", "orgId": deskmock.org_id, "eventTime": "1767225600000",
               "payload": {"id": TICKET}}]
    bad = deskmock.forge(webhook_id=installation.webhook_id, jwt="bad-signature", events=events)
    assert bad.status == 401
    deskmock.expect_refused(bad, quiet_ms=200)
    other = deskmock.forge(webhook_id=installation.webhook_id, query={"securityContext": "0000"}, events=events)
    deskmock.expect_refused(other.forged, quiet_ms=200)
    good = deskmock.forge(webhook_id=installation.webhook_id, events=[dict(events[0], eventType="Contact_Add")])
    assert good.status == 200
    with pytest.raises(AssertionError, match="it answered 200"):
        deskmock.expect_refused(good, quiet_ms=200)


def test_faults_settings_stubs_create_webhook_uninstall_reset(deskmock, receiver, installation):
    # a delivery sent twice is answered twice and handled once
    assert deskmock.faults({"delivery": {"duplicate": 1}})["delivery"]["duplicate"] == 1
    mark = deskmock.mark()
    deskmock.api("POST", "/api/v1/tickets", NEW_TICKET, as_="agent")
    deskmock.expect_call(after=mark, method="POST")
    deskmock.expect_no_duplicate_writes(after=mark, quiet_ms=300)
    attempts = deskmock.journal(after=mark, kind="attempt")
    assert [(a["status"], a.get("duplicate") is True) for a in attempts] == [(200, False), (200, True)]

    assert deskmock.settings({"deliveryTimeoutMs": 2500})["deliveryTimeoutMs"] == 2500
    assert deskmock.stub({"method": "POST", "url": "https://api.example.com/notify", "status": 200})["hits"] == 0
    assert len(deskmock.api("GET", "/mock/v1/invoke-stubs").json["data"]) == 1
    hook = deskmock.create_webhook({"name": "plain", "url": receiver.url + "/plain",
                                    "subscriptions": {"Ticket_Update": None}})
    hooks = deskmock.api("GET", "/api/v1/webhooks", as_="admin").json["data"]
    assert sorted(h["id"] for h in hooks) == sorted([hook["id"], installation.webhook_id])

    deskmock.uninstall(installation.id)
    assert deskmock.api("GET", "/mock/v1/installations").json["data"] == []
    with pytest.raises(dm.DeskmockError, match="answered 404"):
        deskmock.uninstall(installation.id)
    deskmock.reset()
    assert [r.get("path") for r in deskmock.journal()] == ["/mock/v1/reset"]  # only the reset itself
    assert deskmock.api("GET", "/api/v1/webhooks", as_="admin").json["data"] == []


def test_run_conformance_every_case_passes(deskmock, receiver):
    result = deskmock.run_conformance(receiver=receiver.url + "/hook",
                                      authorise_url=receiver.url + "/authorise",
                                      extension_dir=EXTENSION)
    assert [c for c in result["cases"] if c["outcome"] == "fail"] == []
    names = [c["name"] for c in result["cases"]]
    assert names[0] == "preflight"
    assert {"forged-audience", "key-rotation", "desk-429", "desk-5xx", "reinstall", "batch-100"} <= set(names)
    assert [c for c in result["cases"] if c["outcome"] == "skip"] == []  # nothing skipped either
    assert result["passed"] == len(result["cases"])
    assert result["receiver"] == receiver.url + "/hook"


# ==== A receiver that writes back without sourceId ====

@pytest.mark.source_id(None)
def test_expect_no_loop_catches_the_echo_loop(deskmock, receiver, installation):
    mark = deskmock.mark()
    deskmock.api("POST", "/api/v1/tickets", NEW_TICKET, as_="agent")
    deskmock.expect_delivered("Ticket_Add", after=mark)
    with pytest.raises(dm.ExpectationError) as e:
        deskmock.expect_no_loop(after=mark, quiet_ms=200)
    message = str(e.value)
    assert message.startswith("echo loop: the receiver's own write came back to its own webhook")
    assert re.search(r"-> event #\d+ Ticket_Comment_Add delivered to the same webhook", message)
    assert "fix: send the webhook's ignoreSourceId as the sourceId header" in message


@pytest.mark.source_id(None)
def test_run_conformance_returns_failures_without_raising(deskmock, receiver):
    # echo loops are judged after every case: the first that makes the
    # receiver write back, ticket-add, fails with the loop
    result = deskmock.run_conformance(receiver=receiver.url + "/hook",
                                      authorise_url=receiver.url + "/authorise",
                                      only=["ticket-add"])
    assert [(c["name"], c["outcome"]) for c in result["cases"]] == [("preflight", "pass"), ("ticket-add", "fail")]
    assert result["failed"] == 1
    assert result["cases"][1]["message"].startswith("echo loop")
    assert "fix: send the webhook's ignoreSourceId" in result["cases"][1]["report"]


@pytest.mark.source_id(None)
def test_run_conformance_says_why_it_skips(deskmock, receiver):
    result = deskmock.run_conformance(receiver=receiver.url + "/hook",
                                      authorise_url=receiver.url + "/authorise",
                                      only=["ticket-add", "ticket-comment-add"])
    assert [c["outcome"] for c in result["cases"]] == ["pass", "fail", "skip"]
    assert result["skipped"] == 1
    assert "echo loop (reported by ticket-add)" in result["cases"][2]["message"]


# ==== A receiver with a plain webhook ====

class _AcceptAll:
    """A receiver that answers 200 to everything and verifies nothing:
    enough to show how run_conformance attaches to plain webhooks."""

    def __init__(self):
        import http.server
        import threading

        class Handler(http.server.BaseHTTPRequestHandler):
            def _any(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST = _any

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self):
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def accept_all():
    r = _AcceptAll()
    yield r
    r.close()


def test_run_conformance_plain_takes_the_receivers_own_webhook(deskmock, accept_all):
    # the receiver registers itself, as most integrations do, with the admin token
    made = deskmock.api("POST", "/api/v1/webhooks",
                        {"name": "my integration", "url": accept_all.url + "/hook",
                         "subscriptions": {"Ticket_Add": None}}, as_="admin")
    assert made.status == 200
    for how in ({"plain": True}, {"webhook": made.json["id"]}):
        result = deskmock.run_conformance(receiver=accept_all.url + "/hook", no_verification=True,
                                          only="ticket-add", **how)
        assert [c["name"] for c in result["cases"]] == ["preflight", "ticket-add"]
        assert result["failed"] == 0, result["cases"]


def test_run_conformance_subscribe_and_config_out(deskmock, accept_all, tmp_path):
    config_out = tmp_path / "receiver.json"
    result = deskmock.run_conformance(receiver=accept_all.url + "/hook", plain=True,
                                      subscribe=["Ticket_Add", "Ticket_Update"],
                                      no_verification=True, only="ticket-add",
                                      config_out=str(config_out))
    assert result["cases"][0]["outcome"] == "pass", result["cases"][0]["report"]
    config = json.loads(config_out.read_text())
    hooks = deskmock.api("GET", "/api/v1/webhooks", as_="admin").json["data"]
    assert [h["id"] for h in hooks] == [config["webhookId"]]
    assert (config["attach"], config["token"]) == ("plain", deskmock.tokens["admin"])
    assert sorted(hooks[0]["subscriptions"]) == ["Ticket_Add", "Ticket_Update"]
    with pytest.raises(TypeError, match="subscribe goes with plain"):
        deskmock.run_conformance(receiver=accept_all.url + "/hook", subscribe="Ticket_Add")


# ==== The mock itself ====

@pytest.mark.deskmock(delivery_timeout_ms=1234, prev_state="changed", batch_max=3)
def test_marker_options_reach_serve(deskmock):
    s = deskmock.api("GET", "/mock/v1/settings").json
    assert (s["deliveryTimeoutMs"], s["prevState"], s["batchMax"]) == (1234, "changed", 3)


def test_start_attach_api_and_stop():
    with dm.start(clock="virtual") as desk:
        before = desk.api("GET", "/mock/v1/clock").json
        assert before["mode"] == "virtual"
        assert desk.advance_clock(60000)["nowMs"] - before["nowMs"] == 60000
        same = dm.attach(desk.url + "/")
        assert (same.url, same.org_id, same.tokens) == (desk.url, desk.org_id, desk.tokens)
        assert same.api("GET", "/api/v1/tickets/" + TICKET).status == 401
        t = same.api("GET", "/api/v1/tickets/" + TICKET, as_="viewer")
        assert (t.status, t.json["id"]) == (200, TICKET)
        same.stop()  # detaches only
        assert desk.api("GET", "/mock/v1/health").status == 200
    with pytest.raises(dm.DeskmockError):
        dm.attach(desk.url)


def test_a_bad_option_raises_with_serves_message():
    with pytest.raises(dm.DeskmockError, match="--prev-state sideways: expected full or changed"):
        dm.start(prev_state="sideways")


def test_a_mock_left_running_is_stopped_when_the_interpreter_exits():
    code = "import deskmock; print(deskmock.start().url)"  # no stop()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=PACKAGE_ROOT), check=True)
    url = out.stdout.strip()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
    # SIGTERM was sent at exit; serve stops within moments: wait on it, bounded
    for _ in range(100):
        try:
            dm.attach(url)
        except dm.DeskmockError:
            return
        time.sleep(0.05)
    pytest.fail("%s still answers after its interpreter exited" % url)


# ==== The plugin, as a user's project loads it ====

def run_inner_pytest(tmp_path, *options):
    """Runs pytest on a one-test file with -p deskmock.pytest_plugin and the
    given options; returns what the test saw."""
    (tmp_path / "test_inner.py").write_text(textwrap.dedent("""
        import json, os
        def test_inner(deskmock):
            t = deskmock.api("POST", "/api/v1/tickets", {"subject": "x",
                "departmentId": "18920000000000101", "contactId": "18920000000000301"}, as_="agent")
            seen = {"clock": deskmock.api("GET", "/mock/v1/clock").json["mode"], "ticket": t.json["id"]}
            with open(os.environ["INNER_OUT"], "w") as f:
                json.dump(seen, f)
    """))
    out = tmp_path / "seen.json"
    if out.exists():
        out.unlink()
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "-p", "deskmock.pytest_plugin", *options, str(tmp_path / "test_inner.py")],
                       cwd=str(tmp_path), capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=PACKAGE_ROOT, INNER_OUT=str(out)))
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(out.read_text())


def test_plugin_options_seed_and_clock(tmp_path):
    default = run_inner_pytest(tmp_path)
    assert default["clock"] == "real"
    seeded = run_inner_pytest(tmp_path, "--deskmock-seed", "7", "--deskmock-clock", "virtual")
    assert seeded["clock"] == "virtual"
    assert seeded["ticket"] != default["ticket"]
    assert run_inner_pytest(tmp_path, "--deskmock-seed", "7")["ticket"] == seeded["ticket"]


def test_plugin_option_bin(tmp_path):
    (tmp_path / "test_inner.py").write_text("def test_inner(deskmock):\n    pass\n")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "-p", "deskmock.pytest_plugin", "--deskmock-bin", str(tmp_path / "nothing"),
                        str(tmp_path / "test_inner.py")],
                       cwd=str(tmp_path), capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=PACKAGE_ROOT))
    assert r.returncode != 0
    assert "cannot run %s" % (tmp_path / "nothing") in r.stdout
