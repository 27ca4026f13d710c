// extensionTestsPath module for `npm run bench` (bench logs): a recipe prints LOG_MB of output on the
// testbed's primary daemon through the Run Recipe command, inside the real extension host; the host's
// event loop delay is sampled meanwhile (perf_hooks.monitorEventLoopDelay, 10 ms resolution), with the
// host's garbage collections and what the run's terminal was given (through the extension's test API).
import * as fs from 'node:fs';
import { Session } from 'node:inspector';
import * as path from 'node:path';
import { PerformanceObserver, monitorEventLoopDelay, type PerformanceEntry } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { benchHost } from './benchHost';

export const LOG_MB = 100;

export async function run(): Promise<void> {
  const { api, ws, run } = await benchHost('bench-logs');
  const recipe = path.join(ws, 'print_lots.py');
  // 100-byte lines, written a megabyte at a time, then a last line the terminal must show
  fs.writeFileSync(
    recipe,
    `import sys\nblock = (("x" * 99) + "\\n").encode() * 10000\nfor _ in range(${LOG_MB}):\n    sys.stdout.buffer.write(block)\nprint("the last line")\n`,
  );
  // BENCH_TERMINAL_MBPS: another terminal budget (0.1: next to nothing shown, to tell the terminal's share of the stalls)
  if (process.env.BENCH_TERMINAL_MBPS)
    await vscode.workspace
      .getConfiguration('containerExec')
      .update('terminalMaxMBps', Number(process.env.BENCH_TERMINAL_MBPS), vscode.ConfigurationTarget.Workspace);
  const timeline: string[] = [];
  let t0 = Date.now();
  const terminal = { chars: 0, firstAt: 0, lastAt: 0, text: '' };
  const writes = api.runs.onTerminalWrite(({ text }) => {
    // the rate over the time output reached the terminal (not the status lines before and after)
    if (text.length > 1000) {
      terminal.firstAt ||= Date.now();
      terminal.lastAt = Date.now();
    }
    terminal.chars += text.length;
    terminal.text = (terminal.text + text).slice(-4096);
    if (text.length < 2000) timeline.push(`write t=${((Date.now() - t0) / 1000).toFixed(1)} ${JSON.stringify(text.slice(0, 120))}`);
  });
  const gcs: { ms: number; major: boolean }[] = [];
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const detail = (e as PerformanceEntry & { detail?: { kind?: number; flags?: number } }).detail;
      gcs.push({ ms: e.duration, major: detail?.kind === 4 });
      // the long ones, in the timeline: kind 1 scavenge, 4 mark-compact, 8 incremental marking; flags 4 forced (e.g. external memory)
      if (e.duration > 20)
        timeline.push(
          `gc t=${((Date.now() - t0) / 1000).toFixed(1)} ms=${e.duration.toFixed(0)} kind=${detail?.kind} flags=${detail?.flags}`,
        );
    }
  });
  gc.observe({ entryTypes: ['gc'] });
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  // the same, per sampling interval, for the timeline: when the stalls happen
  const slice = monitorEventLoopDelay({ resolution: 10 });
  slice.enable();
  t0 = Date.now();
  let lastCpu = process.cpuUsage();
  let lastChars = 0;
  const slices: { at: number; maxMs: number }[] = [];
  const sampler = setInterval(() => {
    const cpu = process.cpuUsage(lastCpu);
    lastCpu = process.cpuUsage();
    const m = process.memoryUsage();
    timeline.push(
      `t=${((Date.now() - t0) / 1000).toFixed(1)} cpu%=${((cpu.user + cpu.system) / 5000).toFixed(0)} heapMB=${(m.heapUsed / 1e6).toFixed(0)} extMB=${(m.external / 1e6).toFixed(0)} termKB=${((terminal.chars - lastChars) / 1e3).toFixed(0)} gcs=${gcs.length} stallMs=${(slice.max / 1e6).toFixed(0)}`,
    );
    slices.push({ at: Date.now(), maxMs: slice.max / 1e6 });
    slice.reset();
    lastChars = terminal.chars;
  }, 500);
  // BENCH_HOST_PROFILE=1: a CPU profile of this host's main thread over the run (host-profile.cpuprofile): what it does per chunk
  const profiler = process.env.BENCH_HOST_PROFILE ? await startProfile() : undefined;
  const r = await run(recipe);
  const wallMs = Date.now() - t0;
  if (profiler) fs.writeFileSync(path.join(process.env.TEST_RESULTS_DIR!, 'host-profile.cpuprofile'), await profiler());
  clearInterval(sampler);
  slices.push({ at: Date.now(), maxMs: slice.max / 1e6 });
  fs.writeFileSync(path.join(process.env.TEST_RESULTS_DIR!, 'timeline.txt'), timeline.join('\n'));
  delay.disable();
  slice.disable();
  gc.disconnect();
  writes.dispose();
  if (r.exitCode !== 0 || !r.record) throw new Error(`bench logs: the run failed: ${r.record?.message}`);
  if (!terminal.text.includes('the last line'))
    throw new Error(
      `bench logs: the terminal did not show the recipe's last line; it ended with ${JSON.stringify(terminal.text.slice(-300))}`,
    );
  const result = {
    bytes: r.record.outputBytes!,
    streamMs: r.record.outputMs!,
    ms: r.record.endedAt! - r.record.startedAt,
    wallMs,
    maxStallMs: delay.max / 1e6,
    p99StallMs: delay.percentile(99) / 1e6,
    terminalChars: terminal.chars,
    terminalMs: terminal.lastAt - terminal.firstAt,
    gcMaxMs: Math.max(0, ...gcs.map((g) => g.ms)),
    // this host's own floor in the same run: the worst 0.5 s interval before the recipe printed (setting up,
    // uploading, starting: no output yet), next to the worst one while output reached the terminal
    beforeOutputMaxStallMs: Math.max(0, ...slices.filter((x) => x.at < terminal.firstAt).map((x) => x.maxMs)),
    printingMaxStallMs: Math.max(0, ...slices.filter((x) => x.at > terminal.firstAt && x.at - 500 <= terminal.lastAt).map((x) => x.maxMs)),
    majorGcs: gcs.filter((g) => g.major).length,
  };
  fs.writeFileSync(path.join(process.env.TEST_RESULTS_DIR!, 'bench-logs.json'), JSON.stringify(result));
}

/** Starts the V8 profiler in this thread; the returned function stops it and gives the profile (JSON). */
async function startProfile(): Promise<() => Promise<string>> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params ?? {}, (e, r) => (e ? reject(e) : resolve(r))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 500 });
  await post('Profiler.start');
  return async () => {
    const { profile } = (await post('Profiler.stop')) as { profile: object };
    session.disconnect();
    return JSON.stringify(profile);
  };
}
