import type Docker from 'dockerode';

/** dockerode takes `{ abortSignal }` on these calls; @types/dockerode does not say so yet. DaemonClient's own calls (ping, version, info) use it. */
export interface SignalledCalls {
  ping(o: { abortSignal: AbortSignal }): Promise<unknown>;
  version(o: { abortSignal: AbortSignal }): Promise<unknown>;
  info(o: { abortSignal: AbortSignal }): Promise<unknown>;
}
export const signalled = (d: Docker) => d as unknown as SignalledCalls;
