// The Python that runs in a kernel's container. Shipped as strings (the extension is one bundle) and
// passed as `python3 -c` arguments: nothing is written into the container, no port is published.

/**
 * The kernel container's main process: waits for SIGTERM (the relay sends it on shutdown, `docker stop`
 * too) and reaps orphans meanwhile (a killed relay's kernel would otherwise stay a zombie under PID 1).
 */
export const KEEP_ALIVE_PY = `import os, signal
def reap(*_):
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass
signal.signal(signal.SIGCHLD, reap)
signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
signal.signal(signal.SIGINT, lambda *_: os._exit(0))
reap()
while True:
    signal.pause()
`;

/**
 * The relay, run by one non-tty exec with stdin open: `python3 -c RELAY_PY <cap-bytes>`. It starts
 * ipykernel on the container's loopback and forwards its channels as JSON lines (docs/notebooks.md, "Notebooks:
 * how the kernel talks"). No backticks or dollar-brace in it: it lives in a template literal.
 */
export const RELAY_PY = String.raw`
import base64, hashlib, hmac, json, os, signal, socket, subprocess, sys, tempfile, threading, time, uuid

# Container Exec's kernel relay: starts ipykernel on the container's loopback and forwards its four
# channels as JSON lines on this process's stdio (see docs/notebooks.md, "how the kernel talks").
CAP = int(sys.argv[1]) if len(sys.argv) > 1 else 32 * 1024 * 1024
OUT = sys.stdout.buffer
DELIM = b"<IDS|MSG>"


def emit(obj):  # the only writer of fd 1 (the poller thread)
    OUT.write(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n")
    OUT.flush()


try:
    import zmq
    import importlib.util
    if importlib.util.find_spec("ipykernel") is None:
        raise ImportError("No module named 'ipykernel'")
except ImportError as e:
    emit({"relay": "no-ipykernel", "detail": "%s (python %s)" % (e, sys.version.split()[0])})
    sys.exit(3)


# ipykernel_launcher's steps, with ipykernel's debugger left out: it imports and sets up debugpy at every start
# (0.15-0.3 s of a 1-2 s start to the first result on the testbed), and no debug_request ever comes through the
# relay (ipykernel runs as when debugpy is not installed). The block is lifted once ipykernel is imported: a
# cell's own "import debugpy" works.
KERNEL_MAIN = "\n".join([
    "import sys",
    "if sys.path[0] == '':",
    "    del sys.path[0]",
    "sys.modules['debugpy'] = None",
    "from ipykernel import kernelapp",
    "del sys.modules['debugpy']",
    "kernelapp.launch_new_instance()",
])


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


class Kernel:
    """One ipykernel process (its own process group: SIGINT reaches it and its children) and its sockets."""

    def __init__(self, ctx, folder):
        self.key = uuid.uuid4().hex.encode()
        ports = free_ports(5)
        names = ["shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"]
        conn = dict(zip(names, ports), ip="127.0.0.1", transport="tcp", key=self.key.decode(), signature_scheme="hmac-sha256")
        self.conn_file = os.path.join(folder, "kernel-%s.json" % uuid.uuid4().hex[:8])
        with open(self.conn_file, "w") as f:
            json.dump(conn, f)
        self.log = open(os.path.join(folder, "kernel.log"), "ab")
        # the kernel's own stdout/stderr go to a log, never to fd 1 (os.system output would break the framing)
        self.proc = subprocess.Popen([sys.executable, "-c", KERNEL_MAIN, "-f", self.conn_file, "--HistoryManager.hist_file=:memory:"],
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
                                     env=dict(os.environ, JPY_PARENT_PID=str(os.getpid())))  # a killed relay's kernel ends too
        ident = uuid.uuid4().hex.encode()  # shell and stdin share one identity, or input_request never comes back
        self.sockets = {}
        for ch, kind in (("shell", zmq.DEALER), ("control", zmq.DEALER), ("stdin", zmq.DEALER), ("iopub", zmq.SUB)):
            s = ctx.socket(kind)
            s.linger = 0
            if kind == zmq.DEALER:
                s.setsockopt(zmq.IDENTITY, ident)
            else:
                s.setsockopt(zmq.SUBSCRIBE, b"")
            s.connect("tcp://127.0.0.1:%d" % conn[ch + "_port"])
            self.sockets[ch] = s
        self.channel_of = {s: ch for ch, s in self.sockets.items()}

    def sign(self, parts):
        h = hmac.new(self.key, digestmod=hashlib.sha256)
        for p in parts:
            h.update(p)
        return h.hexdigest().encode()

    def send(self, msg):
        parts = [json.dumps(msg.get(k, {}), separators=(",", ":")).encode("utf-8") for k in ("header", "parent_header", "metadata", "content")]
        buffers = [base64.b64decode(b) for b in msg.get("buffers") or []]
        self.sockets[msg["channel"]].send_multipart([DELIM, self.sign(parts)] + parts + buffers)

    def receive(self, sock):
        frames = sock.recv_multipart(copy=True)
        i = frames.index(DELIM)
        sig, parts, buffers = frames[i + 1], frames[i + 2:i + 6], frames[i + 6:]
        if not hmac.compare_digest(sig, self.sign(parts)):
            return None
        header, parent, metadata, content = (json.loads(p) for p in parts)
        return {"channel": self.channel_of[sock], "header": header, "parent_header": parent, "metadata": metadata,
                "content": content, "buffers": [base64.b64encode(b).decode() for b in buffers]}

    def signal_group(self, sig):
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def close(self, grace):
        if self.proc.poll() is None:
            self.send(request("control", "shutdown_request", {"restart": False}))
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        self.signal_group(signal.SIGKILL)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        for s in self.sockets.values():
            s.close(0)
        try:
            os.unlink(self.conn_file)
        except OSError:
            pass


SESSION = uuid.uuid4().hex


def request(channel, msg_type, content):
    header = {"msg_id": "relay-" + uuid.uuid4().hex, "msg_type": msg_type, "session": SESSION, "username": "relay",
              "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "version": "5.3"}
    return {"channel": channel, "header": header, "parent_header": {}, "metadata": {}, "content": content}


def why_dead(code):
    if code < 0:
        name = signal.Signals(-code).name
        hint = " (out of memory? the configuration's memory limit may be too low)" if -code == signal.SIGKILL else ""
        return "the kernel process was killed by %s%s" % (name, hint)
    return "the kernel process exited with code %d" % code


def read_stdin(push):
    """Lines from the extension, capped: a longer line is refused (read to its end, dropped), the next one goes on."""
    src = sys.stdin.buffer
    while True:
        line = src.readline(CAP + 1)
        if not line:
            push({"relay": "eof"})
            return
        if not line.endswith(b"\n") and len(line) > CAP:
            size = len(line)
            while not line.endswith(b"\n") and line:
                line = src.readline(1 << 20)
                size += len(line)
            emit_later = {"relay": "refused", "direction": "in", "bytes": size, "cap": CAP}
            push(emit_later)
            continue
        try:
            push(json.loads(line))
        except ValueError as e:
            push({"relay": "error", "message": "not a JSON line: %s" % e})


def main():
    ctx = zmq.Context()
    folder = tempfile.mkdtemp(prefix="container-exec-kernel-")
    inbox = ctx.socket(zmq.PULL)
    inbox.bind("inproc://inbox")
    lock = threading.Lock()

    def push(obj, _s=[None]):
        with lock:
            if _s[0] is None:
                _s[0] = ctx.socket(zmq.PUSH)
                _s[0].connect("inproc://inbox")
            _s[0].send(json.dumps(obj).encode())

    threading.Thread(target=read_stdin, args=(push,), daemon=True).start()
    kernel = None
    ready = None  # while starting: {"deadline", "next", "shell", "iopub"}

    def start():
        nonlocal kernel, ready
        kernel = Kernel(ctx, folder)
        ready = {"deadline": time.monotonic() + 60, "next": 0, "ids": set(), "shell": False, "iopub": False}

    start()
    while True:
        poller = zmq.Poller()
        poller.register(inbox, zmq.POLLIN)
        for s in (kernel.sockets.values() if kernel else []):
            poller.register(s, zmq.POLLIN)
        events = dict(poller.poll(20 if ready is not None else 100))
        now = time.monotonic()
        if kernel and ready is not None:
            # ask kernel_info until both its reply and an iopub message came (a SUB may miss the first ones)
            if now >= ready["next"]:
                msg = request("shell", "kernel_info_request", {})
                ready["ids"].add(msg["header"]["msg_id"])
                kernel.send(msg)
                ready["next"] = now + 0.05
            if now > ready["deadline"]:
                emit({"relay": "dead", "why": "the kernel did not answer within 60 s (see %s)" % kernel.log.name})
                kernel.close(0)
                kernel, ready = None, None
        for sock in list(events):
            if sock is inbox:
                cmd = json.loads(inbox.recv())
                op = cmd.get("relay")
                if op is None:
                    if kernel and ready is None:
                        kernel.send(cmd)
                    else:
                        emit({"relay": "refused", "direction": "in", "why": "the kernel is not running", "msg_id": cmd.get("header", {}).get("msg_id")})
                elif op == "interrupt":
                    if kernel:
                        kernel.signal_group(signal.SIGINT)
                elif op == "restart":
                    if kernel:
                        kernel.close(1)
                    emit({"relay": "restarting"})
                    start()
                elif op in ("shutdown", "eof"):
                    if kernel:
                        kernel.close(2)
                    emit({"relay": "shutdown"})
                    if cmd.get("container"):
                        os.kill(1, signal.SIGTERM)  # the keep-alive ends: the run ends as a run does
                    return
                else:
                    emit(cmd)  # refused / error: tell the extension
                continue
            if kernel is None or sock not in kernel.channel_of:
                continue
            msg = kernel.receive(sock)
            if msg is None:
                continue
            parent = msg["parent_header"].get("msg_id", "")
            if ready is not None and parent in ready["ids"]:
                if msg["channel"] == "shell":
                    ready["info"] = msg["content"]
                ready[msg["channel"]] = True
                if ready["shell"] and ready["iopub"]:
                    emit({"relay": "started", "pid": kernel.proc.pid, "info": ready["info"]})
                    ready = None
                continue
            if parent.startswith("relay-"):
                continue
            line = json.dumps(msg, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            if len(line) > CAP:
                emit({"relay": "refused", "direction": "out", "bytes": len(line), "cap": CAP, "channel": msg["channel"],
                      "msg_type": msg["header"].get("msg_type"), "parent": parent})
                continue
            OUT.write(line + b"\n")
            OUT.flush()
        if kernel and kernel.proc.poll() is not None:
            code = kernel.proc.returncode
            kernel.close(0)
            kernel, ready = None, None
            emit({"relay": "dead", "why": why_dead(code)})


main()
OUT.flush()
os._exit(0)  # the stdin reader thread may hold stdin's lock: no interpreter shutdown
`;
