import * as path from 'node:path';

/**
 * Debugging a Python recipe in its run's container: the recipe runs as the container's main process
 * under debugpy, listening on 127.0.0.1:PORT and waiting for the client (so the run's exit code, stop and
 * OOM are the recipe's own, as for a run), and the Debug Adapter Protocol reaches it through an Engine
 * API exec of a small relay (its stdio <-> that loopback port). Nothing listens outside the container's
 * own network namespace; no port is published.
 */

/** The exit code of the bootstrap when the image's python has no debugpy module. */
export const DEBUGPY_MISSING_EXIT = 97;
/** The exit code of the relay when debugpy never listened (the recipe ended first). */
export const RELAY_NO_ADAPTER_EXIT = 98;

/**
 * Runs the recipe as `python RECIPE ARGS` would, under debugpy (exits 97 when debugpy is missing).
 * debugpy's in-process adapter: pydevd itself speaks DAP on the port. `debugpy --listen` would spawn a
 * second python for its adapter and have the debuggee connect to it, about a second more before the
 * first stop. pydevd's plugin packages declare their namespaces with pkg_resources, half a second to
 * import, and fall back to pkgutil without it: it is kept out while debugpy loads (then importable again).
 * The part after the import is compiled under a file name in debugpy's folder: pydevd counts it as library
 * code, so `stopOnEntry` (a step into user code) stops on the recipe's first line, not in this bootstrap.
 */
const BOOTSTRAP = [
  'import sys',
  "sys.modules['pkg_resources'] = None",
  'try:',
  '    import debugpy',
  'except ImportError:',
  `    sys.stderr.write("container-exec: no debugpy module in this image's python\\n"); sys.exit(${DEBUGPY_MISSING_EXIT})`,
  'import os',
  'exec(compile("""',
  'import runpy',
  "debugpy.listen(('127.0.0.1', int(sys.argv[1])), in_process_debug_adapter=True)",
  "del sys.modules['pkg_resources']",
  'sys.argv = sys.argv[2:]',
  // as `python RECIPE` does (run_path does not): the recipe's folder first on sys.path
  'sys.path.insert(0, os.path.dirname(sys.argv[0]))',
  'debugpy.wait_for_client()',
  "runpy.run_path(sys.argv[0], run_name='__main__')",
  '""", os.path.join(os.path.dirname(debugpy.__file__), "_container_exec_bootstrap.py"), "exec"))',
].join('\n');

/**
 * Copies its stdin to 127.0.0.1:PORT and back to stdout, byte for byte; retries the connection while
 * debugpy starts (up to `waitSeconds`), exits 98 when it never listens.
 */
const RELAY = [
  'import os, socket, sys, threading, time',
  'port, wait = int(sys.argv[1]), float(sys.argv[2])',
  'deadline = time.monotonic() + wait',
  'while True:',
  '    try:',
  "        s = socket.create_connection(('127.0.0.1', port)); break",
  '    except OSError:',
  `        if time.monotonic() > deadline: sys.stderr.write('container-exec: debugpy did not listen on 127.0.0.1:%d within %g s\\n' % (port, wait)); sys.exit(${RELAY_NO_ADAPTER_EXIT})`,
  '        time.sleep(0.02)',
  's.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)',
  'def up():',
  '    while True:',
  '        b = os.read(0, 65536)',
  '        if not b: break',
  '        s.sendall(b)',
  '    try: s.shutdown(socket.SHUT_WR)',
  '    except OSError: pass',
  'threading.Thread(target=up, daemon=True).start()',
  'while True:',
  '    try: b = s.recv(65536)',
  '    except OSError: break',
  '    if not b: break',
  '    os.write(1, b)',
].join('\n');

/** The interpreter part of a recipe command (`[...interpreter, recipe, ...args]`). */
function split(cmd: string[], recipe: string): { interpreter: string[]; rest: string[] } {
  const at = cmd.indexOf(recipe);
  if (at < 1) throw new Error(`the command ${JSON.stringify(cmd)} does not run ${recipe}`);
  return { interpreter: cmd.slice(0, at), rest: cmd.slice(at) };
}

/** The container's command for a debug run: the recipe under debugpy, listening on the container's loopback. */
export function debugCommand(cmd: string[], recipe: string, port: number): string[] {
  const { interpreter, rest } = split(cmd, recipe);
  // frozen stdlib modules make debugpy warn that breakpoints may be missed
  return [...interpreter, '-Xfrozen_modules=off', '-c', BOOTSTRAP, String(port), ...rest];
}

/** The exec'd relay between the DAP stream and debugpy's adapter. */
export function relayCommand(cmd: string[], recipe: string, port: number, waitSeconds = 30): string[] {
  const { interpreter } = split(cmd, recipe);
  return [interpreter[0]!, '-c', RELAY, String(port), String(waitSeconds)];
}

/** A loopback port for debugpy in the container (random: a configuration with host networking shares the host's loopback). */
export const debugPort = () => 20000 + Math.floor(Math.random() * 40000);

/**
 * Why a debug run cannot use `network`, or undefined: debugpy listens on 127.0.0.1 in the container, and
 * with the host's network namespace (`host`) or another's (`container:…`, Podman's `ns:…`) that loopback is
 * shared: any process there could connect to the debugger first and run code as the recipe.
 */
export function debugNetworkRefusal(configuration: string, network: string | undefined): string | undefined {
  const shared =
    network === 'host'
      ? "the daemon host's loopback"
      : network && /^(container|ns):/.test(network)
        ? `the loopback of ${network.replace(/^\w+:/, '')}`
        : undefined;
  if (!shared) return undefined;
  return `Debug Recipe does not debug on configuration ${configuration}: its network is "${network}", so debugpy's port (127.0.0.1 in the container) would be on ${shared}, where any process could connect to the debugger before VS Code and run code as the recipe. Nothing was created. Remove "network" from configuration ${configuration} (or set a bridge or user-defined network) to debug; Run Recipe is not affected.`;
}

/** Debug Recipe debugs Python: the recipe's interpreter must be a python. */
export function checkDebuggable(recipe: string, interpreters: Record<string, string>): void {
  const ext = path.posix.extname(recipe);
  const interpreter = interpreters[ext] ?? Object.entries(interpreters).find(([e]) => e.toLowerCase() === ext.toLowerCase())?.[1];
  if (!interpreter || !/(^|\/)python[\d.]*$/.test(interpreter.trim().split(/\s+/)[0]!))
    throw new Error(
      `${recipe} is not a Python recipe${interpreter ? ` (it runs with ${interpreter.trim()})` : ''}: Debug Recipe debugs Python recipes (.py files run by python3) with debugpy. Use Run Recipe for it.`,
    );
}

export const debugpyMissingMessage = (image: string, configuration: string) =>
  `Image ${image} of configuration ${configuration} has no debugpy (python3 -c "import debugpy" fails in it): Debug Recipe needs it in the image. Turn on the base-image option build.debugpy and rebuild the image, or install debugpy (Debian's python3-debugpy, or pip install debugpy) in it.`;
