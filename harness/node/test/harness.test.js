// harness.test.js -- the package against the real deskmock binary
// ($DESKMOCK_BIN, else `deskmock` on the PATH) and a real receiver on
// loopback (examples/receiver.js): the loop end to end, expectations met and
// not met, an echo loop caught, forged deliveries, conformance, and the
// mock's process life.
import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startDeskmock, attachDeskmock, DeskmockExpectationError } from 'deskmock';
import { startReceiver } from '../examples/receiver.js';

const EXTENSION = fileURLToPath(new URL('../../../fixtures/extensions/conformance', import.meta.url));
const SECRET = 'conformance-secret-0001';
const SOURCE_ID = '7d1f2b7e-3c4a-4e1b-9a3f-5b6c7d8e9f01';
const TICKET = '18920000000000401';
const NEW_TICKET = { subject: 'Printer on fire', departmentId: '18920000000000101', contactId: '18920000000000301' };

// A mock, a receiver (sourceId: null makes it loop) and the extension installed.
async function world({ sourceId = SOURCE_ID, mock = {} } = {}) {
  const desk = await startDeskmock({ retrySchedule: 'none', ...mock });
  const receiver = await startReceiver({ desk: desk.url, secret: SECRET, sourceId });
  const installation = await desk.installExtension({
    extensionDir: EXTENSION, webhookUrl: `${receiver.url}/hook`, authoriseUrl: `${receiver.url}/authorise`,
  });
  const callbacks = await desk.journal({ kind: 'callback', wait: 5000 });
  assert.equal(callbacks.length, 1);
  assert.equal(callbacks[0].ok, true, 'the receiver accepted the authorise callback');
  return { desk, receiver, installation, stop: async () => { await receiver.close(); await desk.stop(); } };
}

async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail('expected the promise to reject');
}

describe('a receiver that behaves', () => {
  let w;
  beforeEach(async () => { w = await world(); });
  afterEach(async () => { await w.stop(); });

  test('install, a new ticket, its delivery, the comment written back, no loop', async () => {
    const { desk, receiver } = w;
    const mark = await desk.mark();
    const t = await desk.api('POST', '/api/v1/tickets', NEW_TICKET, { as: 'agent' });
    assert.equal(t.status, 200);
    await desk.expectDelivered('Ticket_Add', { after: mark, where: { id: t.json.id } });
    await desk.expectCall({ after: mark, method: 'POST', url: `*/api/v1/tickets/${t.json.id}/comments` });
    await desk.expectNoLoop({ after: mark, quietMs: 300 });
    await desk.expectNoDuplicateWrites({ after: mark, quietMs: 300 });
    // the write-back is in Desk: a private comment carrying our sourceId
    const comments = await desk.api('GET', `/api/v1/tickets/${t.json.id}/comments`, undefined, { as: 'agent' });
    assert.equal(comments.json.data.length, 1);
    assert.match(comments.json.data[0].content, /Thanks, we got ticket/);
    const invokes = await desk.journal({ after: mark, kind: 'invoke' });
    assert.equal(invokes.length, 1);
    assert.equal(invokes[0].sourceId, SOURCE_ID);
    assert.deepEqual(receiver.errors, []);
  });

  test('expectations that are not met throw DeskmockExpectationError quoting the journal', async () => {
    const { desk } = w;
    const mark = await desk.mark();
    let e = await rejection(desk.expectDelivered('Ticket_Add', { after: mark, timeoutMs: 200 }));
    assert.ok(e instanceof DeskmockExpectationError);
    assert.equal(e.name, 'DeskmockExpectationError');
    assert.equal(e.verb, 'delivered');
    assert.match(e.message, /expected a Ticket_Add delivery answered 200 within 5000 ms/);
    assert.match(e.message, /events raised: none/);

    const t = await desk.api('POST', '/api/v1/tickets', NEW_TICKET, { as: 'agent' });
    await desk.expectCall({ after: mark, method: 'POST' });
    e = await rejection(desk.expectNoCall({ after: mark, method: 'POST', url: '*/comments', quietMs: 200 }));
    assert.ok(e instanceof DeskmockExpectationError);
    assert.match(e.message, new RegExp(`invoke #\\d+ POST \\S+/api/v1/tickets/${t.json.id}/comments -> 200, made while handling #\\d+ Ticket_Add, sourceId ${SOURCE_ID}`));
    e = await rejection(desk.expectCall({ after: mark, method: 'POST', min: 2, timeoutMs: 200 }));
    assert.match(e.report, /at least 2 times/);
  });

  test('where, trigger and fixture', async () => {
    const { desk } = w;
    const mark = await desk.mark();
    const answer = await desk.trigger({ eventType: 'Ticket_Update', ticketId: TICKET, set: { priority: 'Low' } });
    assert.equal(answer.events[0].eventType, 'Ticket_Update');
    await desk.expectDelivered('Ticket_Update', { after: mark, where: { priority: 'Low' } });
    const e = await rejection(desk.expectDelivered('Ticket_Update', { after: mark, where: { priority: 'High' }, timeoutMs: 200 }));
    assert.match(e.message, /with payload.priority = High/);
    await desk.fixture('Ticket_Update/status-closed', { subject: 'Late' });
    await desk.expectDelivered('Ticket_Update', { after: mark, where: { subject: 'Late' } });
  });

  test('forged deliveries are refused; one answered 200 is not', async () => {
    const { desk, installation } = w;
    const events = [{ eventType: 'Ticket_Add', orgId: desk.orgId, eventTime: '1767225600000', payload: { id: TICKET } }];
    const bad = await desk.forge({ webhookId: installation.webhookId, jwt: 'bad-signature', events });
    assert.equal(bad.status, 401);
    await desk.expectRefused(bad.forged, { quietMs: 200 });
    const other = await desk.forge({ webhookId: installation.webhookId, query: { securityContext: '0000' }, events });
    await desk.expectRefused(other.forged, { quietMs: 200 });
    // a genuine one (valid JWT, our URL) is accepted: refused is not met
    const good = await desk.forge({ webhookId: installation.webhookId, events: [{ ...events[0], eventType: 'Contact_Add' }] });
    assert.equal(good.status, 200);
    const e = await rejection(desk.expectRefused(good.forged, { quietMs: 200 }));
    assert.match(e.message, /it answered 200/);
  });

  test('faults, settings, stubs, createWebhook, uninstall, reset', async () => {
    const { desk, receiver, installation } = w;
    // a delivery sent twice is answered twice and handled once
    assert.equal((await desk.faults({ delivery: { duplicate: 1 } })).delivery.duplicate, 1);
    const mark = await desk.mark();
    await desk.api('POST', '/api/v1/tickets', NEW_TICKET, { as: 'agent' });
    await desk.expectCall({ after: mark, method: 'POST' });
    await desk.expectNoDuplicateWrites({ after: mark, quietMs: 300 });
    const attempts = await desk.journal({ after: mark, kind: 'attempt' });
    assert.deepEqual(attempts.map((a) => [a.status, a.duplicate === true]), [[200, false], [200, true]]);

    assert.equal((await desk.settings({ deliveryTimeoutMs: 2500 })).deliveryTimeoutMs, 2500);
    assert.equal((await desk.stub({ method: 'POST', url: 'https://api.example.com/notify', status: 200 })).hits, 0);
    assert.equal((await desk.api('GET', '/mock/v1/invoke-stubs')).json.data.length, 1);
    const hook = await desk.createWebhook({ name: 'plain', url: `${receiver.url}/plain`, subscriptions: { Ticket_Update: null } });
    const hooks = await desk.api('GET', '/api/v1/webhooks', undefined, { as: 'admin' });
    assert.deepEqual(hooks.json.data.map((h) => h.id).sort(), [hook.id, installation.webhookId].sort());

    await desk.uninstall(installation.id);
    assert.deepEqual((await desk.api('GET', '/mock/v1/installations')).json.data, []);
    await rejection(desk.uninstall(installation.id)).then((e) => assert.match(e.message, /answered 404/));
    await desk.reset();
    assert.deepEqual((await desk.journal()).map((r) => r.path), ['/mock/v1/reset']); // only the reset itself
    assert.equal((await desk.api('GET', '/api/v1/webhooks', undefined, { as: 'admin' })).json.data.length, 0);
  });

  test('runConformance: every case passes or is skipped', async () => {
    const { desk, receiver } = w;
    const result = await desk.runConformance({
      receiver: `${receiver.url}/hook`, authoriseUrl: `${receiver.url}/authorise`, extensionDir: EXTENSION,
    });
    assert.deepEqual(result.cases.filter((c) => c.outcome === 'fail'), []);
    assert.equal(result.cases[0].name, 'preflight');
    const names = result.cases.map((c) => c.name);
    for (const name of ['forged-audience', 'key-rotation', 'desk-429', 'desk-5xx', 'reinstall', 'batch-100']) {
      assert.ok(names.includes(name), `ran ${name}`);
    }
    assert.deepEqual(result.cases.filter((c) => c.outcome === 'skip'), [],
      'with the authorise URL, verification and write-backs, nothing is skipped');
    assert.equal(result.passed, result.cases.length);
    assert.equal(result.failed, 0);
    assert.equal(result.receiver, `${receiver.url}/hook`);
  });
});

describe('a receiver that writes back without sourceId', () => {
  let w;
  beforeEach(async () => { w = await world({ sourceId: null }); });
  afterEach(async () => { await w.stop(); });

  test('expectNoLoop catches the echo loop and shows its chain', async () => {
    const { desk } = w;
    const mark = await desk.mark();
    await desk.api('POST', '/api/v1/tickets', NEW_TICKET, { as: 'agent' });
    await desk.expectDelivered('Ticket_Add', { after: mark });
    const e = await rejection(desk.expectNoLoop({ after: mark, quietMs: 200 }));
    assert.ok(e instanceof DeskmockExpectationError);
    assert.match(e.message, /^echo loop: the receiver's own write came back to its own webhook/);
    assert.match(e.message, /-> event #\d+ Ticket_Comment_Add delivered to the same webhook/);
    assert.match(e.message, /fix: send the webhook's ignoreSourceId as the sourceId header/);
  });

  test('runConformance returns the failing case with its report, and does not throw', async () => {
    const { desk, receiver } = w;
    // echo loops are judged after every case: the first that makes the
    // receiver write back, ticket-add, fails with the loop
    const result = await desk.runConformance({
      receiver: `${receiver.url}/hook`, authoriseUrl: `${receiver.url}/authorise`, extensionDir: EXTENSION,
      only: ['ticket-add'],
    });
    assert.deepEqual(result.cases.map((c) => [c.name, c.outcome]), [['preflight', 'pass'], ['ticket-add', 'fail']]);
    assert.equal(result.failed, 1);
    assert.match(result.cases[1].message, /^echo loop/);
    assert.match(result.cases[1].report, /fix: send the webhook's ignoreSourceId/);
  });

  test('runConformance skips, saying why, the cases an echo loop would start again', async () => {
    const { desk, receiver } = w;
    const result = await desk.runConformance({
      receiver: `${receiver.url}/hook`, authoriseUrl: `${receiver.url}/authorise`, extensionDir: EXTENSION,
      only: ['ticket-add', 'ticket-comment-add'],
    });
    assert.deepEqual(result.cases.map((c) => c.outcome), ['pass', 'fail', 'skip']);
    assert.equal(result.skipped, 1);
    assert.match(result.cases[2].message, /echo loop \(reported by ticket-add\)/);
  });
});

// A receiver that answers 200 to everything and verifies nothing: enough to
// show how runConformance attaches to plain webhooks.
async function acceptAll() {
  const server = http.createServer((req, res) => { req.resume(); req.on('end', () => res.end('{}')); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

describe('a receiver with a plain webhook', () => {
  test('plain takes the webhook the receiver made; webhook drives it by id', async () => {
    const desk = await startDeskmock();
    const receiver = await acceptAll();
    try {
      // the receiver registers itself, as most integrations do, with the admin token
      const made = await desk.api('POST', '/api/v1/webhooks',
        { name: 'my integration', url: `${receiver.url}/hook`, subscriptions: { Ticket_Add: null } }, { as: 'admin' });
      assert.equal(made.status, 200);
      const opts = { receiver: `${receiver.url}/hook`, noVerification: true, only: 'ticket-add' };
      for (const how of [{ plain: true }, { webhook: made.json.id }]) {
        const result = await desk.runConformance({ ...opts, ...how });
        assert.deepEqual(result.cases.map((c) => c.name), ['preflight', 'ticket-add']);
        assert.equal(result.failed, 0, JSON.stringify(result.cases));
      }
    } finally {
      await receiver.close();
      await desk.stop();
    }
  });

  test('subscribe has check make the webhook; configOut says which', async () => {
    const desk = await startDeskmock();
    const receiver = await acceptAll();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'deskmock-test-'));
    try {
      const configOut = path.join(dir, 'receiver.json');
      const result = await desk.runConformance({
        receiver: `${receiver.url}/hook`, plain: true, subscribe: ['Ticket_Add', 'Ticket_Update'],
        noVerification: true, only: 'ticket-add', configOut,
      });
      assert.equal(result.cases[0].outcome, 'pass', result.cases[0].report);
      const config = JSON.parse(await readFile(configOut, 'utf8'));
      const hooks = (await desk.api('GET', '/api/v1/webhooks', undefined, { as: 'admin' })).json.data;
      assert.deepEqual(hooks.map((h) => h.id), [config.webhookId]);
      assert.equal(config.attach, 'plain');
      assert.equal(config.token, desk.tokens.admin);
      assert.deepEqual(Object.keys(hooks[0].subscriptions).sort(), ['Ticket_Add', 'Ticket_Update']);
      await rejection(desk.runConformance({ receiver: `${receiver.url}/hook`, subscribe: 'Ticket_Add' }))
        .then((e) => assert.match(e.message, /subscribe goes with plain/));
    } finally {
      await rm(dir, { recursive: true, force: true });
      await receiver.close();
      await desk.stop();
    }
  });
});

describe('the mock itself', () => {
  test('options reach deskmock serve', async () => {
    const desk = await startDeskmock({ clock: 'virtual', deliveryTimeoutMs: 1234, prevState: 'changed', batchMax: 3 });
    try {
      const s = await desk.api('GET', '/mock/v1/settings');
      assert.equal(s.json.deliveryTimeoutMs, 1234);
      assert.equal(s.json.prevState, 'changed');
      assert.equal(s.json.batchMax, 3);
      const before = (await desk.api('GET', '/mock/v1/clock')).json;
      assert.equal(before.mode, 'virtual');
      const after = await desk.advanceClock(60000);
      assert.equal(after.nowMs - before.nowMs, 60000);
    } finally {
      await desk.stop();
    }
  });

  test('a bad option rejects with serve\'s message', async () => {
    const e = await rejection(startDeskmock({ prevState: 'sideways' }));
    assert.match(e.message, /--prev-state sideways: expected full or changed/);
  });

  test('attachDeskmock, api with and without a token, stop', async () => {
    const desk = await startDeskmock();
    const same = await attachDeskmock(`${desk.url}/`);
    assert.equal(same.url, desk.url);
    assert.equal(same.orgId, desk.orgId);
    assert.deepEqual(same.tokens, desk.tokens);
    assert.equal((await same.api('GET', `/api/v1/tickets/${TICKET}`)).status, 401);
    const t = await same.api('GET', `/api/v1/tickets/${TICKET}`, undefined, { as: 'viewer' });
    assert.equal(t.status, 200);
    assert.equal(t.json.id, TICKET);
    await same.stop(); // detaches only
    assert.equal((await desk.api('GET', '/mock/v1/health')).status, 200);
    await desk.stop();
    await rejection(attachDeskmock(desk.url));
  });

  test('a mock left running is stopped when the process exits', async () => {
    const script = `import { startDeskmock } from 'deskmock';
      const d = await startDeskmock(); console.log(d.url);`; // no stop(): the process just ends
    const url = await new Promise((resolve, reject) => {
      execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('..', import.meta.url)) },
        (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout.trim())));
    });
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    // SIGTERM was sent at exit; serve stops within moments: wait on it, bounded
    let gone = null;
    for (let i = 0; i < 100 && !gone; i++) {
      gone = await attachDeskmock(url).then(() => null, (e) => e);
      if (!gone) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(gone, `${url} still answers after its process exited`);
  });
});
