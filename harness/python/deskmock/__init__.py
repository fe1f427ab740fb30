"""deskmock for Python tests: starts or attaches to a deskmock (a mock Zoho
Desk), acts on it through its HTTP API, and asks the ``deskmock`` command for
verdicts. It holds no Desk behaviour and no judging of its own: expectations
run ``deskmock expect``, conformance runs ``deskmock check``. Standard
library only.
"""
from __future__ import annotations

import atexit
import http.client
import json as _json
import os
import shutil
import subprocess
import tempfile
import threading
import urllib.parse
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

__all__ = [
    "Deskmock", "DeskmockError", "ExpectationError", "Forged", "Installation",
    "Response", "attach", "start",
]

READY_TIMEOUT_S = 10
STOP_TIMEOUT_S = 10


class ExpectationError(AssertionError):
    """An expectation that was not met; the message is deskmock's report,
    which quotes the mock's journal."""

    def __init__(self, verb: str, report: str):
        super().__init__(report.rstrip() or f"expectation {verb} was not met")
        self.verb = verb
        self.report = report


class DeskmockError(RuntimeError):
    """The mock or the deskmock command could not do what was asked (it did
    not start, a control call was refused, no verdict came)."""


@dataclass
class Response:
    status: int
    body: str
    json: Any  # the body parsed, or None when it is not JSON


@dataclass
class Installation:
    id: str
    security_context: str
    webhook_id: str
    token: str  # the extension's own Desk API token


@dataclass
class Forged:
    status: int  # the receiver's answer; 0 when none came
    forged: int  # the seq of the "forged" journal record, for expect_refused


def _binary(bin: Optional[str]) -> str:
    return bin or os.environ.get("DESKMOCK_BIN") or "deskmock"


# ==== Processes ====

_running: "set[subprocess.Popen]" = set()


@atexit.register
def _stop_all() -> None:
    """Mocks still running when the interpreter exits are stopped with it."""
    for p in list(_running):
        if p.poll() is None:
            p.terminate()


def _drain(stream, sink: list, first_line: Optional[threading.Event] = None) -> None:
    """Reads a child's stream to its end (so the child never blocks on a full
    pipe), keeping the last lines; sets first_line at the first line or EOF."""
    for line in iter(stream.readline, ""):
        sink.append(line)
        del sink[:-200]
        if first_line is not None:
            first_line.set()
    if first_line is not None:
        first_line.set()
    stream.close()


def _serve_args(ready_file: str, *, seed=None, clock=None, clock_start=None, prev_state=None,
                delivery_timeout_ms=None, retry_schedule=None, batch_max=None,
                batch_window_ms=None, org=None, fixtures=(), journal=None,
                invoke_passthrough=False, args=()) -> "list[str]":
    a = ["serve", "--port", "0", "--ready-file", ready_file]

    def opt(flag: str, v: Any) -> None:
        if v is not None:
            a.extend([flag, str(v)])

    opt("--seed", seed)
    opt("--clock", clock)
    opt("--clock-start", clock_start)
    opt("--prev-state", prev_state)
    opt("--delivery-timeout", delivery_timeout_ms)
    if isinstance(retry_schedule, (list, tuple)):
        retry_schedule = ",".join(str(ms) for ms in retry_schedule) or "none"
    opt("--retry-schedule", retry_schedule)
    opt("--batch-max", batch_max)
    opt("--batch-window", batch_window_ms)
    opt("--org", org)
    for d in fixtures:
        opt("--fixtures", d)
    opt("--journal", journal)
    if invoke_passthrough:
        a.append("--invoke-passthrough")
    a.extend(args)
    return a


def start(*, bin: Optional[str] = None, **options: Any) -> "Deskmock":
    """Starts ``deskmock serve --port 0`` and returns a Deskmock on it once it
    is ready. Options map to serve's flags: seed, clock ("real"/"virtual"),
    clock_start, prev_state ("full"/"changed"), delivery_timeout_ms,
    retry_schedule ("0,1s,30s", "none", or a list of ms), batch_max,
    batch_window_ms, org (a file), fixtures (folders), journal (a file),
    invoke_passthrough, args (any other serve arguments). Raises DeskmockError
    with serve's own message when it does not start."""
    exe = _binary(bin)
    tmp = tempfile.mkdtemp(prefix="deskmock-")
    ready_file = os.path.join(tmp, "ready.json")
    try:
        proc = subprocess.Popen([exe] + _serve_args(ready_file, **options),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise DeskmockError(f"cannot run {exe}: {e}") from e
    _running.add(proc)
    out: list = []
    err: list = []
    said = threading.Event()
    threading.Thread(target=_drain, args=(proc.stdout, out, said), daemon=True).start()
    err_reader = threading.Thread(target=_drain, args=(proc.stderr, err), daemon=True)
    err_reader.start()
    # serve writes the ready file, then prints "deskmock listening on URL"
    said.wait(READY_TIMEOUT_S)
    try:
        if not out or not os.path.exists(ready_file):
            proc.kill()
            proc.wait()
            err_reader.join(STOP_TIMEOUT_S)
            _running.discard(proc)
            why = "".join(err).strip() or f"not ready after {READY_TIMEOUT_S} s"
            raise DeskmockError(f"deskmock serve did not start: {why}")
        with open(ready_file, encoding="utf-8") as f:
            ready = _json.load(f)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return Deskmock(ready, bin=exe, proc=proc, stderr=err)


def attach(url: str, *, bin: Optional[str] = None) -> "Deskmock":
    """A Deskmock on a mock that is already running (e.g. ``deskmock serve``)."""
    base = url.rstrip("/")
    try:
        r = _request("GET", base + "/mock/v1/tokens")
    except OSError as e:
        raise DeskmockError(f"{base} does not answer: {e}") from e
    if r.status != 200 or not isinstance(r.json, dict):
        raise DeskmockError(f"{base} does not answer as a deskmock: {r.status} {r.body}")
    return Deskmock({"url": base, **r.json}, bin=_binary(bin))


# ==== HTTP ====

def _request(method: str, url: str, body: Any = None,
             headers: Optional[Mapping[str, str]] = None, timeout: float = 90) -> Response:
    u = urllib.parse.urlsplit(url)
    h = dict(headers or {})
    token = os.environ.get("DESKMOCK_CONTROL_TOKEN")
    if token:
        h["X-Deskmock-Token"] = token
    data = None
    if body is not None:
        data = (body if isinstance(body, str) else _json.dumps(body)).encode("utf-8")
        if not any(k.lower() == "content-type" for k in h):
            h["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        path = u.path + ("?" + u.query if u.query else "")
        conn.request(method, path or "/", body=data, headers=h)
        res = conn.getresponse()
        text = res.read().decode("utf-8", "replace")
    finally:
        conn.close()
    try:
        parsed = _json.loads(text) if text else None
    except ValueError:
        parsed = None
    return Response(res.status, text, parsed)


def _after(verb: str, after: Any) -> "list[str]":
    if not isinstance(after, int) or isinstance(after, bool) or after < 0:
        raise TypeError(f"{verb}: give after=deskmock.mark() (a journal seq), got {after!r}")
    return ["--after", str(after)]


def _opt(flag: str, v: Any) -> "list[str]":
    return [] if v is None else [flag, str(v)]


# ==== The handle ====

class Deskmock:
    """A running mock: ``url``, ``org_id``, ``tokens`` (role -> token), the
    verbs that act on it and the expectations that judge what a receiver
    did. Usable as a context manager (stops on exit)."""

    def __init__(self, ready: Mapping[str, Any], *, bin: str, proc=None, stderr=None):
        self.url: str = ready["url"]
        self.org_id: str = ready["orgId"]
        self.tokens: "dict[str, str]" = dict(ready.get("tokens") or {})
        self._bin = bin
        self._proc = proc
        self._stderr = stderr if stderr is not None else []

    def __enter__(self) -> "Deskmock":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<Deskmock {self.url}>"

    def stop(self) -> None:
        """Stops a started mock (SIGTERM, waits for it to exit); detaches
        from an attached one. Raises DeskmockError when serve did not exit 0."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        _running.discard(proc)
        if proc.returncode != 0:
            raise DeskmockError(f"deskmock serve exited with {proc.returncode}: "
                                + "".join(self._stderr).strip())

    # ---- HTTP ----

    def api(self, method: str, path: str, body: Any = None, *, as_: Optional[str] = None,
            headers: Optional[Mapping[str, str]] = None) -> Response:
        """Any route of the mock. ``as_``: a role ("admin", "agent",
        "viewer") or a token, for the Desk API; none for the control API.
        Returns the Response whatever its status."""
        h = dict(headers or {})
        if as_:
            h["Authorization"] = "Zoho-oauthtoken " + self.tokens.get(as_, as_)
            h["orgId"] = self.org_id
        return _request(method, self.url + path, body, h)

    def _ok(self, method: str, path: str, body: Any = None, as_: Optional[str] = None) -> Any:
        r = self.api(method, path, body, as_=as_)
        if not 200 <= r.status <= 299:
            raise DeskmockError(f"{method} {path} answered {r.status}: {r.body}")
        return r.json

    # ---- Extensions and webhooks ----

    def install_extension(self, *, extension_dir: Optional[str] = None,
                          manifest: Optional[dict] = None, resources: Optional[dict] = None,
                          webhook_url: Optional[str] = None, authorise_url: Optional[str] = None,
                          uninstall_url: Optional[str] = None,
                          departments: Optional[Sequence[str]] = None,
                          config_params: Optional[list] = None) -> Installation:
        """Installs an extension (its folder, or its manifest and resources)
        with the webhook at webhook_url; authorise_url gets Desk's
        onDeskAuthorise callback."""
        body: "dict[str, Any]" = {}
        if extension_dir:
            body["extension"] = os.path.abspath(extension_dir)
        elif manifest is not None and resources is not None:
            body.update(manifest=manifest, resources=resources)
        else:
            raise TypeError("install_extension: give extension_dir, or manifest and resources")
        if webhook_url:
            body["webhookUrl"] = webhook_url
        callbacks = {}
        if authorise_url:
            callbacks["onDeskAuthorise"] = authorise_url
        if uninstall_url:
            callbacks["onUninstall"] = uninstall_url
        if callbacks:
            body["callbackUrls"] = callbacks
        if departments is not None:
            body["departments"] = list(departments)
        if config_params is not None:
            body["configParams"] = config_params
        j = self._ok("POST", "/mock/v1/installations", body)
        return Installation(j["installationId"], j["securityContext"], j["webhookId"], j["token"])

    def uninstall(self, installation_id: str) -> None:
        self._ok("DELETE", "/mock/v1/installations/" + urllib.parse.quote(installation_id))

    def create_webhook(self, webhook: dict, *, as_: str = "admin") -> dict:
        """POST /api/v1/webhooks: the webhook as Desk answers it."""
        return self._ok("POST", "/api/v1/webhooks", webhook, as_)

    # ---- Events, faults, stubs, settings, clock ----

    def trigger(self, request: dict) -> dict:
        """POST /mock/v1/events; the answer: {"events": [{"seq", "eventType",
        "webhooks"}], "resource"}."""
        return self._ok("POST", "/mock/v1/events", request)

    def fixture(self, name: str, set: Optional[dict] = None) -> dict:
        """Raises a fixture of the library ("Ticket_Update/status-closed")
        with ``set`` ({path: value}) applied to its payload."""
        return self.trigger({"fixture": name, "set": set} if set else {"fixture": name})

    def faults(self, faults: dict) -> dict:
        return self._ok("PUT", "/mock/v1/faults", faults)

    def stub(self, stub: dict) -> dict:
        return self._ok("POST", "/mock/v1/invoke-stubs", stub)

    def settings(self, settings: dict) -> dict:
        return self._ok("PUT", "/mock/v1/settings", settings)

    def advance_clock(self, ms: int) -> dict:
        return self._ok("POST", "/mock/v1/clock", {"advanceMs": ms})

    def reset(self) -> None:
        self._ok("POST", "/mock/v1/reset", {})

    # ---- The journal ----

    def mark(self) -> int:
        """The journal's last seq now: expectations look at what comes after it."""
        return int(self._ok("GET", "/mock/v1/health")["lastSeq"])

    def forge(self, *, webhook_id: str, jwt: str = "valid", query: Optional[dict] = None,
              events: Optional[list] = None, body: Optional[str] = None) -> Forged:
        """Sends webhook_id's receiver a delivery with a chosen defect: jwt
        "valid", "none", "expired", "not-yet-valid", "bad-signature",
        "wrong-audience", "wrong-issuer", "alg-none", "hs256-public-key" or
        "unknown-kid" (docs/harness.md says what each is); query overrides
        URL parameters; the body is events (a list) or body (raw text)."""
        req: "dict[str, Any]" = {"webhookId": webhook_id, "jwt": jwt}
        if query is not None:
            req["query"] = query
        if events is not None:
            req["events"] = events
        if body is not None:
            req["body"] = body
        j = self._ok("POST", "/mock/v1/deliveries", req)
        return Forged(int(j.get("status") or 0), int(j["forged"]))

    def journal(self, *, after: int = 0, kind: Optional[str] = None, wait: Optional[int] = None,
                cause: Optional[int] = None, limit: Optional[int] = None) -> "list[dict]":
        """Records after ``after`` of ``kind`` ("event,attempt"); with
        ``wait`` (ms), waits for the first one to come."""
        q = {"after": after, "kind": kind, "wait": wait, "cause": cause, "limit": limit}
        qs = urllib.parse.urlencode({k: v for k, v in q.items() if v is not None})
        return self._ok("GET", "/mock/v1/journal?" + qs)["data"]

    # ---- Expectations: `deskmock expect`, which judges with libdeskharness ----

    def _expect(self, verb: str, args: "list[str]") -> None:
        __tracebackhide__ = True
        r = subprocess.run([self._bin, "expect", "--mock", self.url, "--json", verb] + args,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True)
        try:
            out = _json.loads(r.stdout)
        except ValueError:
            out = None
        if r.returncode in (0, 1) and isinstance(out, dict):
            if out.get("ok"):
                return
            raise ExpectationError(verb, out.get("report", ""))
        raise DeskmockError(f"deskmock expect {verb} gave no verdict "
                            f"(exit {r.returncode}): {r.stderr.strip()}")

    def expect_delivered(self, event_type: str, *, after: int,
                         where: Optional[Mapping[str, Any]] = None,
                         within_ms: Optional[int] = None, timeout_ms: Optional[int] = None) -> None:
        """A delivery of an event_type event raised after ``after`` (whose
        payload holds ``where``, one {path: value}) was answered 200 within
        within_ms (default: the mock's delivery timeout)."""
        __tracebackhide__ = True
        args = _after("expect_delivered", after) + ["--event-type", event_type]
        if where:
            if len(where) != 1:
                raise TypeError("expect_delivered: where holds one {path: value}")
            (path, value), = where.items()
            text = value if isinstance(value, str) else _json.dumps(value)
            args += ["--where", f"{path}={text}"]
        self._expect("delivered", args + _opt("--within", within_ms) + _opt("--timeout", timeout_ms))

    def expect_call(self, *, after: int, method: Optional[str] = None, url: Optional[str] = None,
                    min: Optional[int] = None, timeout_ms: Optional[int] = None) -> None:
        """The receiver made at least ``min`` (default 1) calls back (invoke,
        or the Desk API with its extension token) of ``method`` whose URL
        matches the glob ``url`` ('*' matches anything)."""
        __tracebackhide__ = True
        self._expect("call", _after("expect_call", after) + _opt("--method", method)
                     + _opt("--url", url) + _opt("--min", min) + _opt("--timeout", timeout_ms))

    def expect_no_call(self, *, after: int, method: Optional[str] = None,
                       url: Optional[str] = None, quiet_ms: Optional[int] = None) -> None:
        """No such call, watching until the journal is quiet for quiet_ms."""
        __tracebackhide__ = True
        self._expect("no-call", _after("expect_no_call", after) + _opt("--method", method)
                     + _opt("--url", url) + _opt("--quiet", quiet_ms))

    def expect_no_loop(self, *, after: int, quiet_ms: Optional[int] = None) -> None:
        """No write of the receiver came back to its own webhook and made it
        write again."""
        __tracebackhide__ = True
        self._expect("no-loop", _after("expect_no_loop", after) + _opt("--quiet", quiet_ms))

    def expect_no_duplicate_writes(self, *, after: int, quiet_ms: Optional[int] = None) -> None:
        """No two identical writes made while handling one event."""
        __tracebackhide__ = True
        self._expect("no-duplicate-writes",
                     _after("expect_no_duplicate_writes", after) + _opt("--quiet", quiet_ms))

    def expect_refused(self, forged: Union[int, Forged], *, quiet_ms: Optional[int] = None) -> None:
        """The forged delivery (forge()'s result or its ``forged`` seq) was
        answered 300 or more and nothing was written because of it."""
        __tracebackhide__ = True
        seq = forged.forged if isinstance(forged, Forged) else forged
        self._expect("refused", ["--forged", str(seq)] + _opt("--quiet", quiet_ms))

    # ---- Conformance: `deskmock check` ----

    def run_conformance(self, *, receiver: str, authorise_url: Optional[str] = None,
                        extension_dir: Optional[str] = None, scenarios: Iterable[str] = (),
                        only: Iterable[str] = (), no_verification: bool = False,
                        plain: bool = False, subscribe: Iterable[str] = (),
                        webhook: Optional[str] = None, wait_seconds: Optional[int] = None,
                        config_out: Optional[str] = None) -> dict:
        """Runs the conformance scenarios against ``receiver`` on this mock
        and returns ``deskmock check --json``'s results: {"passed",
        "failed", "skipped", "cases": [{"name", "outcome", "message",
        "report", ...}]}, the first case being ``preflight``; a skipped
        case's message says why. Failed cases are results, not exceptions.

        By default the mock is reset once and the extension installed once.
        ``plain=True`` attaches through a plain webhook instead: the one at
        ``receiver`` that exists, or the one the receiver creates (POST
        /api/v1/webhooks with ``tokens["admin"]``) within ``wait_seconds``
        (30); with ``subscribe`` (event types) check creates it.
        ``webhook`` drives an existing webhook by id. ``config_out`` names a
        file that receives, as JSON before the first case, what the receiver
        must be configured with (orgId, webhookId, jwksUrl, token, ...)."""
        types = [subscribe] if isinstance(subscribe, str) else list(subscribe)
        if types and not plain:
            raise TypeError("run_conformance: subscribe goes with plain=True")
        if webhook and plain:
            raise TypeError("run_conformance: give plain or webhook, not both")
        tmp = tempfile.mkdtemp(prefix="deskmock-check-")
        out = os.path.join(tmp, "results.json")
        args = [self._bin, "check", "--mock", self.url, "--receiver", receiver, "--json", out]
        args += _opt("--authorise-url", authorise_url)
        if plain:
            args.append("--plain")
        if types:
            args += ["--subscribe", ",".join(types)]
        args += _opt("--webhook", webhook) + _opt("--wait", wait_seconds)
        if config_out:
            args += ["--config-out", os.path.abspath(config_out)]
        if extension_dir:
            args += ["--extension", os.path.abspath(extension_dir)]
        for s in ([scenarios] if isinstance(scenarios, str) else scenarios):
            args += ["--scenarios", os.path.abspath(s)]
        for name in ([only] if isinstance(only, str) else only):
            args += ["--only", name]
        if no_verification:
            args.append("--no-verification")
        try:
            r = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True)
            if r.returncode not in (0, 1):
                raise DeskmockError(f"deskmock check failed (exit {r.returncode}): {r.stderr.strip()}")
            with open(out, encoding="utf-8") as f:
                return _json.load(f)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
