// deskmock for JavaScript tests: starts or attaches to a deskmock (a mock
// Zoho Desk), acts on it through its HTTP API, and asks the `deskmock`
// command for verdicts. It holds no Desk behaviour and no judging of its own:
// expectations run `deskmock expect`, conformance runs `deskmock check`.
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

const READY_TIMEOUT_MS = 10000;
const STOP_TIMEOUT_MS = 10000;

/** An expectation that was not met; `message` and `report` are the report
 * of `deskmock expect`, which quotes the mock's journal. */
export class DeskmockExpectationError extends Error {
  constructor(verb, report) {
    super(report.trimEnd() || `expectation ${verb} was not met`);
    this.name = 'DeskmockExpectationError';
    this.verb = verb;
    this.report = report;
  }
}

// ==== Processes ====

function binary(bin) {
  return bin || process.env.DESKMOCK_BIN || 'deskmock';
}

// Mocks still running when this process exits are stopped with it.
const running = new Set();
let exitHook = false;
function track(child) {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const c of running) c.kill('SIGTERM');
    });
  }
}

// Runs bin with args; resolves {code, stdout, stderr}; rejects only when it
// cannot be started at all.
function run(bin, args) {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        reject(new Error(`cannot run ${bin}: ${err.message}`));
        return;
      }
      resolve({ code: err ? err.code : 0, stdout, stderr });
    });
  });
}

function serveArgs(o, readyFile) {
  const a = ['serve', '--port', '0', '--ready-file', readyFile];
  const opt = (flag, v) => { if (v !== undefined && v !== null) a.push(flag, String(v)); };
  opt('--seed', o.seed);
  opt('--clock', o.clock);
  opt('--clock-start', o.clockStart);
  opt('--prev-state', o.prevState);
  opt('--delivery-timeout', o.deliveryTimeoutMs);
  if (Array.isArray(o.retrySchedule)) {
    opt('--retry-schedule', o.retrySchedule.length ? o.retrySchedule.join(',') : 'none');
  } else {
    opt('--retry-schedule', o.retrySchedule);
  }
  opt('--batch-max', o.batchMax);
  opt('--batch-window', o.batchWindowMs);
  opt('--org', o.org);
  for (const dir of o.fixtures || []) opt('--fixtures', dir);
  opt('--journal', o.journal);
  if (o.invokePassthrough) a.push('--invoke-passthrough');
  a.push(...(o.args || []));
  return a;
}

/**
 * Starts `deskmock serve --port 0` and resolves, once it is ready, with a
 * Deskmock on it. Rejects with serve's own message when it does not start.
 */
export async function startDeskmock(options = {}) {
  const bin = binary(options.bin);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deskmock-'));
  const readyFile = path.join(dir, 'ready.json');
  const child = spawn(bin, serveArgs(options, readyFile), { stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-16384); });
  try {
    // serve writes the ready file, then prints "deskmock listening on URL"
    await new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`deskmock serve was not ready after ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      const fail = (why) => { clearTimeout(timer); reject(why); };
      child.once('error', (e) => fail(new Error(`cannot run ${bin}: ${e.message}`)));
      child.once('exit', (code, sig) => fail(new Error(`deskmock serve exited (${sig || code}) before it was ready: ${stderr.trim()}`)));
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('\n')) { clearTimeout(timer); resolve(); }
      });
    });
    const ready = JSON.parse(await readFile(readyFile, 'utf8'));
    // a forgotten mock must not keep this process alive; it is stopped at exit
    child.unref();
    child.stdout.unref();
    child.stderr.unref();
    return new Deskmock(ready, { bin, child, stderr: () => stderr });
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A Deskmock on a mock that is already running (e.g. `deskmock serve`). */
export async function attachDeskmock(url, options = {}) {
  const base = String(url).replace(/\/+$/, '');
  const r = await request('GET', `${base}/mock/v1/tokens`);
  if (r.status !== 200 || !r.json) throw new Error(`${base} does not answer as a deskmock: ${r.status} ${r.body}`);
  return new Deskmock({ url: base, orgId: r.json.orgId, tokens: r.json.tokens }, { bin: binary(options.bin) });
}

// ==== HTTP ====

function request(method, url, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    const token = process.env.DESKMOCK_CONTROL_TOKEN;
    if (token) h['X-Deskmock-Token'] = token;
    let data;
    if (body !== undefined && body !== null) {
      data = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['Content-Type'] = 'application/json';
      h['Content-Length'] = data.length;
    }
    const req = http.request(url, { method, headers: h }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
        resolve({ status: res.statusCode, body: text, json });
      });
      res.on('error', reject);
    });
    req.on('error', (e) => reject(new Error(`${method} ${url}: ${e.message}`)));
    req.end(data);
  });
}

function durationArgs(flag, v) {
  return v === undefined || v === null ? [] : [flag, String(v)];
}

function needAfter(verb, after) {
  if (!Number.isSafeInteger(after) || after < 0) {
    throw new TypeError(`${verb}: give { after: await deskmock.mark() } (a journal seq), got ${after}`);
  }
  return ['--after', String(after)];
}

// ==== The handle ====

export class Deskmock {
  #bin;
  #child;
  #stderr;

  constructor(ready, { bin, child = null, stderr = () => '' }) {
    /** The mock's base URL, "http://127.0.0.1:PORT". */
    this.url = ready.url;
    this.orgId = ready.orgId;
    /** role ("admin", "agent", "viewer") -> OAuth token */
    this.tokens = ready.tokens || {};
    this.#bin = bin;
    this.#child = child;
    this.#stderr = stderr;
  }

  /** Stops a mock started by startDeskmock (SIGTERM, waits for it to exit);
   * detaches from an attached one. */
  async stop() {
    const child = this.#child;
    this.#child = null;
    if (!child) return;
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        child.once('exit', () => { clearTimeout(timer); resolve(); });
        child.kill('SIGTERM');
      });
    }
    if (child.exitCode !== 0) {
      throw new Error(`deskmock serve exited with ${child.exitCode ?? child.signalCode}: ${this.#stderr().trim()}`);
    }
  }

  /** Any route of the mock. `as`: a role or a token (Desk API), or nothing
   * (the control API). Resolves {status, body, json} whatever the status. */
  async api(method, path, body, { as, headers = {} } = {}) {
    const h = { ...headers };
    if (as) {
      h.Authorization = `Zoho-oauthtoken ${this.tokens[as] || as}`;
      h.orgId = this.orgId;
    }
    return request(method, this.url + path, { headers: h, body });
  }

  // A control call that must answer 2xx; its JSON answer.
  async #ok(method, path, body, opts) {
    const r = await this.api(method, path, body, opts);
    if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path} answered ${r.status}: ${r.body}`);
    return r.json;
  }

  /** Installs an extension (its folder, or its manifest and resources as
   * objects) with the webhook at webhookUrl. Resolves {id, securityContext,
   * webhookId, token}. */
  async installExtension({ extensionDir, manifest, resources, webhookUrl, authoriseUrl, uninstallUrl, departments, configParams } = {}) {
    const body = {};
    if (extensionDir) body.extension = path.resolve(extensionDir);
    else if (manifest && resources) Object.assign(body, { manifest, resources });
    else throw new TypeError('installExtension: give extensionDir, or manifest and resources');
    if (webhookUrl) body.webhookUrl = webhookUrl;
    if (authoriseUrl || uninstallUrl) {
      body.callbackUrls = {};
      if (authoriseUrl) body.callbackUrls.onDeskAuthorise = authoriseUrl;
      if (uninstallUrl) body.callbackUrls.onUninstall = uninstallUrl;
    }
    if (departments) body.departments = departments;
    if (configParams) body.configParams = configParams;
    const j = await this.#ok('POST', '/mock/v1/installations', body);
    return { id: j.installationId, securityContext: j.securityContext, webhookId: j.webhookId, token: j.token };
  }

  async uninstall(installationId) {
    await this.#ok('DELETE', `/mock/v1/installations/${encodeURIComponent(installationId)}`);
  }

  /** POST /api/v1/webhooks (as admin unless told): the webhook as Desk answers it. */
  async createWebhook(webhook, { as = 'admin' } = {}) {
    return this.#ok('POST', '/api/v1/webhooks', webhook, { as });
  }

  /** POST /mock/v1/events: resolves the mock's answer, {events: [{seq,
   * eventType, webhooks}], resource}. */
  async trigger(req) {
    return this.#ok('POST', '/mock/v1/events', req);
  }

  /** Raises a fixture of the library ("Ticket_Update/status-closed") with
   * `set` ({path: value}) applied to its payload. */
  async fixture(name, set) {
    return this.trigger(set ? { fixture: name, set } : { fixture: name });
  }

  async faults(faults) { return this.#ok('PUT', '/mock/v1/faults', faults); }
  async stub(stub) { return this.#ok('POST', '/mock/v1/invoke-stubs', stub); }
  async settings(settings) { return this.#ok('PUT', '/mock/v1/settings', settings); }
  async advanceClock(ms) { return this.#ok('POST', '/mock/v1/clock', { advanceMs: ms }); }
  async reset() { await this.#ok('POST', '/mock/v1/reset', {}); }

  /** The journal's last seq now: expectations look at what comes after it. */
  async mark() {
    return (await this.#ok('GET', '/mock/v1/health')).lastSeq;
  }

  /** Sends webhookId's receiver a delivery with a chosen defect; resolves
   * {status (the receiver's answer, 0: none), forged (the record's seq)}. */
  async forge({ webhookId, jwt = 'valid', query, events, body } = {}) {
    const req = { webhookId, jwt };
    if (query) req.query = query;
    if (events) req.events = events;
    if (body !== undefined) req.body = body;
    const j = await this.#ok('POST', '/mock/v1/deliveries', req);
    return { status: j.status || 0, forged: j.forged };
  }

  /** Journal records after `after` of `kind` ("event,attempt"); with `wait`
   * (ms), waits for the first one to come. */
  async journal({ after = 0, kind, wait, cause, limit } = {}) {
    const q = new URLSearchParams({ after: String(after) });
    if (kind) q.set('kind', kind);
    if (wait) q.set('wait', String(wait));
    if (cause) q.set('cause', String(cause));
    if (limit) q.set('limit', String(limit));
    return (await this.#ok('GET', `/mock/v1/journal?${q}`)).data;
  }

  // ==== Expectations: `deskmock expect`, which judges with libdeskharness ====

  async #expect(verb, args) {
    const r = await run(this.#bin, ['expect', '--mock', this.url, '--json', verb, ...args]);
    let out = null;
    try { out = JSON.parse(r.stdout); } catch { /* no verdict */ }
    if ((r.code === 0 || r.code === 1) && out) {
      if (out.ok) return;
      throw new DeskmockExpectationError(verb, out.report);
    }
    throw new Error(`deskmock expect ${verb} gave no verdict (exit ${r.code}): ${r.stderr.trim()}`);
  }

  /** A delivery of an eventType event raised after `after` (whose payload
   * matches `where`, one {path: value}) was answered 200 within withinMs. */
  async expectDelivered(eventType, { after, where, withinMs, timeoutMs } = {}) {
    const args = [...needAfter('expectDelivered', after), '--event-type', eventType];
    if (where) {
      const entries = Object.entries(where);
      if (entries.length !== 1) throw new TypeError('expectDelivered: where holds one {path: value}');
      const [p, v] = entries[0];
      args.push('--where', `${p}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
    }
    args.push(...durationArgs('--within', withinMs), ...durationArgs('--timeout', timeoutMs));
    return this.#expect('delivered', args);
  }

  /** The receiver made at least `min` calls back (invoke, or the Desk API
   * with its extension token) of `method` whose URL matches `url` ('*'
   * matches anything). */
  async expectCall({ after, method, url, min, timeoutMs } = {}) {
    const args = needAfter('expectCall', after);
    if (method) args.push('--method', method);
    if (url) args.push('--url', url);
    args.push(...durationArgs('--min', min), ...durationArgs('--timeout', timeoutMs));
    return this.#expect('call', args);
  }

  /** No such call, watching until the journal has been quiet for quietMs. */
  async expectNoCall({ after, method, url, quietMs } = {}) {
    const args = needAfter('expectNoCall', after);
    if (method) args.push('--method', method);
    if (url) args.push('--url', url);
    args.push(...durationArgs('--quiet', quietMs));
    return this.#expect('no-call', args);
  }

  /** No write of the receiver came back to its own webhook and made it write again. */
  async expectNoLoop({ after, quietMs } = {}) {
    return this.#expect('no-loop', [...needAfter('expectNoLoop', after), ...durationArgs('--quiet', quietMs)]);
  }

  /** No two identical writes made while handling one event. */
  async expectNoDuplicateWrites({ after, quietMs } = {}) {
    return this.#expect('no-duplicate-writes', [...needAfter('expectNoDuplicateWrites', after), ...durationArgs('--quiet', quietMs)]);
  }

  /** The forged delivery (forge()'s `forged`) was answered 300 or more and
   * nothing was written because of it. */
  async expectRefused(forged, { quietMs } = {}) {
    if (!Number.isSafeInteger(forged) || forged < 1) throw new TypeError(`expectRefused: give forge()'s forged seq, got ${forged}`);
    return this.#expect('refused', ['--forged', String(forged), ...durationArgs('--quiet', quietMs)]);
  }

  // ==== Conformance: `deskmock check` ====

  /** Runs the conformance scenarios against `receiver` on this mock (reset
   * once, the extension installed once) and resolves `deskmock check
   * --json`'s results, the first case being `preflight`; failed cases are
   * results, not exceptions. */
  async runConformance({
    receiver, authoriseUrl, extensionDir, scenarios = [], only = [], noVerification = false,
    plain = false, subscribe = [], webhook, waitSeconds, configOut,
  } = {}) {
    if (!receiver) throw new TypeError('runConformance: give receiver (the webhook URL)');
    const types = [].concat(subscribe);
    if (types.length && !plain) throw new TypeError('runConformance: subscribe goes with plain: true');
    if (webhook && plain) throw new TypeError('runConformance: give plain or webhook, not both');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'deskmock-check-'));
    const out = path.join(dir, 'results.json');
    const args = ['check', '--mock', this.url, '--receiver', receiver, '--json', out];
    if (authoriseUrl) args.push('--authorise-url', authoriseUrl);
    if (plain) args.push('--plain');
    if (types.length) args.push('--subscribe', types.join(','));
    if (webhook) args.push('--webhook', String(webhook));
    if (waitSeconds !== undefined) args.push('--wait', String(waitSeconds));
    if (configOut) args.push('--config-out', path.resolve(configOut));
    if (extensionDir) args.push('--extension', path.resolve(extensionDir));
    for (const s of [].concat(scenarios)) args.push('--scenarios', path.resolve(s));
    for (const name of [].concat(only)) args.push('--only', name);
    if (noVerification) args.push('--no-verification');
    try {
      const r = await run(this.#bin, args);
      if (r.code !== 0 && r.code !== 1) throw new Error(`deskmock check failed (exit ${r.code}): ${r.stderr.trim()}`);
      return JSON.parse(await readFile(out, 'utf8'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
