import * as z from 'zod';
import type { DaemonClient } from '../daemonClient';
import { onLines } from '../jsonLines';
import { signalled } from './signalled';

export interface EngineEvent {
  type: string; // container | image | volume
  action: string; // create, start, die, destroy, pull, tag, delete, ...
  id: string;
  time: number;
  attributes: Record<string, string>;
}

const EventAnswer = z.object({
  Type: z.string(),
  Action: z.string(),
  Actor: z.object({ ID: z.string().optional(), Attributes: z.record(z.string(), z.string()).nullish() }).optional(),
  time: z.number().optional(),
});

/**
 * Follows GET /events (container, image and volume events) and feeds each event to `onEvent` until the
 * daemon goes away or `signal` aborts; resolves then. Docker sends no headers before the first event,
 * so there is no "open" moment to wait for: events since the start second are replayed, and a caller
 * that needs to know the daemon is alive pings it. Unparseable lines are skipped, not fatal.
 */
export async function followEvents(client: DaemonClient, onEvent: (e: EngineEvent) => void, signal: AbortSignal): Promise<void> {
  const since = Math.floor(Date.now() / 1000);
  let stream: NodeJS.ReadableStream;
  try {
    stream = await client.unbounded(
      'event stream',
      (d, abortSignal) =>
        signalled(d).getEvents({
          since,
          filters: { type: ['container', 'image', 'volume'] },
          abortSignal,
        }),
      signal,
    );
  } catch {
    return; // refused, cut or cancelled: the caller reconnects if it still wants events
  }
  onLines(stream, (line) => {
    try {
      const e = EventAnswer.parse(JSON.parse(line));
      onEvent({ type: e.Type, action: e.Action, id: e.Actor?.ID ?? '', time: e.time ?? 0, attributes: e.Actor?.Attributes ?? {} });
    } catch {
      // not an event we understand: the next one may be
    }
  });
  // ended, cut (a vanished daemon closes the connection) or cancelled: the caller reconnects if it still wants events
  await client.streamEnd('events', stream, signal).catch(() => undefined);
}
