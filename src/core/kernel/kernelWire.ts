import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import type { JupyterMessage } from './kernelSession';

/** The default cap on one JSON line between the extension and the relay (either way). */
export const DEFAULT_FRAME_CAP_BYTES = 32 * 1024 * 1024;

/** The relay's own lines (events), told apart from Jupyter messages by their `relay` key. */
export const relayEventSchema = z.discriminatedUnion('relay', [
  z.object({ relay: z.literal('started'), pid: z.number(), info: z.record(z.string(), z.unknown()).optional() }),
  z.object({ relay: z.literal('restarting') }),
  z.object({ relay: z.literal('dead'), why: z.string() }),
  z.object({ relay: z.literal('no-ipykernel'), detail: z.string() }),
  z.object({
    relay: z.literal('refused'),
    direction: z.enum(['in', 'out']),
    bytes: z.number().optional(),
    cap: z.number().optional(),
    why: z.string().optional(),
    msg_type: z.string().nullish(),
    parent: z.string().nullish(),
    msg_id: z.string().nullish(),
  }),
  z.object({ relay: z.literal('shutdown') }),
  z.object({ relay: z.literal('error'), message: z.string() }),
]);
export type RelayEvent = z.infer<typeof relayEventSchema>;

const jupyterMessageSchema = z.object({
  channel: z.enum(['shell', 'iopub', 'stdin', 'control']),
  header: z.looseObject({ msg_id: z.string(), msg_type: z.string() }),
  parent_header: z.record(z.string(), z.unknown()),
  metadata: z.record(z.string(), z.unknown()),
  content: z.record(z.string(), z.unknown()),
  buffers: z.array(z.string()).optional(),
});

/** One line from the relay: its event, a Jupyter message, or why it is neither. */
export function parseRelayLine(line: string): { event: RelayEvent } | { message: JupyterMessage } | { invalid: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (e) {
    return { invalid: `not JSON (${(e as Error).message})` };
  }
  if (raw && typeof raw === 'object' && 'relay' in raw) {
    const ev = relayEventSchema.safeParse(raw);
    return ev.success ? { event: ev.data } : { invalid: `an unknown relay event (${ev.error.issues[0]?.message})` };
  }
  const msg = jupyterMessageSchema.safeParse(raw);
  return msg.success ? { message: msg.data as JupyterMessage } : { invalid: `not a Jupyter message (${msg.error.issues[0]?.message})` };
}

/** A message the extension sends (protocol 5.3), its id fresh. */
export function jupyterRequest(
  channel: JupyterMessage['channel'],
  msgType: string,
  session: string,
  content: Record<string, unknown>,
  parent: JupyterMessage['parent_header'] = {},
): JupyterMessage {
  return {
    channel,
    header: {
      msg_id: randomUUID(),
      msg_type: msgType,
      session,
      username: 'container-exec',
      date: new Date().toISOString(),
      version: '5.3',
    },
    parent_header: parent,
    metadata: {},
    content,
  };
}

export const executeRequest = (session: string, code: string) =>
  jupyterRequest('shell', 'execute_request', session, {
    code,
    silent: false,
    store_history: true,
    user_expressions: {},
    allow_stdin: true,
    // the session aborts the cells queued behind a failed one itself: the kernel's own abort window would also
    // catch the next cell sent right after the reply (ipykernel aborts what arrives before it stops aborting)
    stop_on_error: false,
  });

/** A line for the relay: the JSON and its newline, or undefined when it is over the cap. */
export function relayLine(obj: unknown, capBytes: number): Buffer | undefined {
  const bytes = Buffer.from(`${JSON.stringify(obj)}\n`, 'utf8');
  return bytes.length - 1 > capBytes ? undefined : bytes;
}

export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
