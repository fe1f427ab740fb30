// receiver.test.js -- testing a webhook receiver with deskmock and node:test
// (`node --test`). Each test gets its own mock and receiver: the mock starts
// in milliseconds, and nothing leaks from one test into the next.
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startDeskmock } from 'deskmock';
import { startReceiver } from './receiver.js';

// Your extension's folder (plugin-manifest.json, resources.json) and the two
// values your receiver takes from it. Here: deskmock's conformance extension.
const EXTENSION = fileURLToPath(new URL('../../../fixtures/extensions/conformance', import.meta.url));
const SECRET = 'conformance-secret-0001';
const SOURCE_ID = '7d1f2b7e-3c4a-4e1b-9a3f-5b6c7d8e9f01';

let desk, receiver, installation;

beforeEach(async () => {
  desk = await startDeskmock({ retrySchedule: 'none' }); // a failed delivery fails now, not on a retry
  receiver = await startReceiver({ desk: desk.url, secret: SECRET, sourceId: SOURCE_ID });
  installation = await desk.installExtension({
    extensionDir: EXTENSION,
    webhookUrl: `${receiver.url}/hook`,
    authoriseUrl: `${receiver.url}/authorise`,
  });
  // the authorise callback travels on its own: wait until it has been answered
  await desk.journal({ kind: 'callback', wait: 5000 });
});

afterEach(async () => {
  await receiver.close();
  await desk.stop();
});

test('a new ticket is delivered and gets one comment back, which does not loop', async () => {
  const mark = await desk.mark();
  const ticket = await desk.api('POST', '/api/v1/tickets', {
    subject: 'Printer on fire', departmentId: '18920000000000101', contactId: '18920000000000301',
  }, { as: 'agent' });
  assert.equal(ticket.status, 200);

  await desk.expectDelivered('Ticket_Add', { after: mark });
  await desk.expectCall({ after: mark, method: 'POST', url: `*/api/v1/tickets/${ticket.json.id}/comments` });
  await desk.expectNoLoop({ after: mark });
  await desk.expectNoDuplicateWrites({ after: mark });
});

test('a status change is delivered with its new value, and writes nothing back', async () => {
  const mark = await desk.mark();
  await desk.api('PATCH', '/api/v1/tickets/18920000000000401', { status: 'On Hold' }, { as: 'agent' });
  await desk.expectDelivered('Ticket_Update', { after: mark, where: { status: 'On Hold' } });
  await desk.expectNoCall({ after: mark, method: 'POST', quietMs: 300 });
});

test('a delivery with a bad signature is refused', async () => {
  const { status, forged } = await desk.forge({
    webhookId: installation.webhookId,
    jwt: 'bad-signature',
    events: [{ eventType: 'Ticket_Add', orgId: desk.orgId, eventTime: '1767225600000', payload: { id: '18920000000000401' } }],
  });
  assert.equal(status, 401);
  await desk.expectRefused(forged, { quietMs: 300 });
});

test('the receiver passes deskmock conformance', async () => {
  const result = await desk.runConformance({
    receiver: `${receiver.url}/hook`,
    authoriseUrl: `${receiver.url}/authorise`,
    extensionDir: EXTENSION,
  });
  assert.deepEqual(result.cases.filter((c) => c.outcome === 'fail'), []);
});
