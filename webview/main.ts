// The webview bundle (browser). The configuration editor lands here; for now it only performs the
// `ready` handshake that every Container Exec panel starts with.
declare function acquireVsCodeApi(): { postMessage(message: unknown): void };

acquireVsCodeApi().postMessage({ type: 'ready' });
