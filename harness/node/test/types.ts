// types.ts -- compiled, never run, by `tsc -p test` (ci/lang-test): the
// declarations in index.d.ts describe the API the way tests use it, and
// reject what the API does not take.
import { startDeskmock, attachDeskmock, Deskmock, DeskmockExpectationError } from 'deskmock';
import type { ConformanceResult, Installation, JournalRecord } from 'deskmock';

export async function usage(): Promise<void> {
  const desk: Deskmock = await startDeskmock({ seed: 7, clock: 'virtual', retrySchedule: [0, 1000], fixtures: ['x'] });
  const same: Deskmock = await attachDeskmock(desk.url, { bin: 'deskmock' });
  const inst: Installation = await desk.installExtension({ extensionDir: 'ext', webhookUrl: 'http://127.0.0.1:1/hook' });
  const mark: number = await desk.mark();
  const r = await desk.api('POST', '/api/v1/tickets', { subject: 'x' }, { as: 'agent' });
  const status: number = r.status;
  const records: JournalRecord[] = await desk.journal({ after: mark, kind: 'invoke', wait: 100 });
  const seq: number = records[0].seq;
  const answer = await desk.trigger({ eventType: 'Ticket_Update', ticketId: '1', set: { priority: 'Low' } });
  const first: number = answer.events[0].seq;
  await desk.fixture('Ticket_Update/status-closed', { subject: 'Late' });
  await desk.expectDelivered('Ticket_Add', { after: mark, where: { status: 'Open' }, withinMs: 1000, timeoutMs: 5000 });
  await desk.expectCall({ after: mark, method: 'POST', url: '*/comments', min: 1 });
  await desk.expectNoCall({ after: mark, quietMs: 300 });
  await desk.expectNoLoop({ after: mark });
  await desk.expectNoDuplicateWrites({ after: mark, quietMs: 300 });
  const { forged } = await desk.forge({ webhookId: inst.webhookId, jwt: 'expired' });
  await desk.expectRefused(forged);
  const result: ConformanceResult = await desk.runConformance({ receiver: 'http://127.0.0.1:1/hook', only: 'duplicate' });
  await desk.runConformance({ receiver: 'http://127.0.0.1:1/hook', plain: true, subscribe: ['Ticket_Add'], waitSeconds: 5, configOut: 'receiver.json' });
  await desk.runConformance({ receiver: 'http://127.0.0.1:1/hook', webhook: '1' });
  const outcome: 'pass' | 'fail' | 'skip' = result.cases[0].outcome;
  try {
    await desk.expectNoLoop({ after: mark });
  } catch (e) {
    if (e instanceof DeskmockExpectationError) console.log(e.report, e.verb);
  }
  await same.stop();
  await desk.stop();
  void [status, seq, first, outcome];

  // @ts-expect-error expectations need { after }
  await desk.expectNoLoop({});
  // @ts-expect-error the clock is real or virtual
  await startDeskmock({ clock: 'fast' });
  // @ts-expect-error runConformance needs the receiver
  await desk.runConformance({});
  // @ts-expect-error a forged delivery's JWT is one of the known defects
  await desk.forge({ webhookId: '1', jwt: 'odd' });
}
