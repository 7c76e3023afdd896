import type { FitAddon, Terminal as XTerm } from '../xterm.js';
import { createEffect, createMemo, createSignal, For, onCleanup, Show } from 'solid-js';
import { useService } from '../service-context.js';
import '../terminal.css';

/** The server's bound (CONTRACT.md, terminal): longer is refused there; said here before connecting. */
const MAX_COMMAND_CHARS = 1024;
/** Sent in pieces well under the server's 64 KiB frame limit, so a large paste is typed, not refused. */
const FRAME_BYTES = 16 * 1024;

type Shell = 'sh' | 'bash' | 'custom';
type State = 'idle' | 'loading' | 'connecting' | 'open';

/** xterm.js in its own chunk (with its CSS): only a page that opens a terminal loads it. */
const loadXterm = () => import('../xterm.js');

/** Why the terminal closed, in plain words, from the close code and the server's reason. */
export function describeClose(code: number, reason: string, opened: boolean, byUser: boolean): string {
  if (byUser) return 'Disconnected.';
  const exit = /^exit code (\d+)$/.exec(reason);
  if (exit) {
    const n = Number(exit[1]);
    if (n === 0) return 'The command ended.';
    if (n === 126 || n === 127) return `The command could not be started in the container: it was not found there or is not executable (exit code ${n}).`;
    return `The command ended with exit code ${n}.`;
  }
  if (code === 1000 && reason === 'idle') return 'Closed: no input for too long. Connect again to go on.';
  if (code === 1000) return 'The command ended.';
  if (code === 1001) return 'Closed: the server is shutting down.';
  if (code === 1008) return `Closed: the server refused a message from this page (${reason || 'policy'}).`;
  if (code === 1009) return 'Closed: a message was too large for the server.';
  if (!opened) return 'The server refused the terminal: the container may have stopped, or your session may have ended. Reload the page and try again.';
  return 'The connection to the server was lost.';
}

/** Why the terminal would be refused, in the server's words; undefined when it would open (426) or the check itself could not be made. */
async function checkTerminal(path: string): Promise<string | undefined> {
  let res: Response;
  try {
    res = await fetch(path, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  } catch {
    return undefined; // the WebSocket will say what is wrong with the connection
  }
  if (res.status === 426) return undefined;
  if (res.status === 401) return 'Your session has ended. Sign in again to open a terminal.';
  const body = (await res.json().catch(() => ({}))) as { error?: string; details?: string };
  return body.error ? `${body.error}${body.details ? `: ${body.details}` : ''}` : `The server refused the terminal (HTTP ${res.status}).`;
}

/** A shell (or any command) in one of the service's running containers, through the exec WebSocket. */
export function Terminal() {
  const { id, service } = useService();
  const [container, setContainer] = createSignal('');
  const [shell, setShell] = createSignal<Shell>('sh');
  const [custom, setCustom] = createSignal('');
  const [state, setState] = createSignal<State>('idle');
  const [message, setMessage] = createSignal('');
  const [problem, setProblem] = createSignal('');
  let host: HTMLDivElement | undefined;
  let term: XTerm | undefined;
  let fit: FitAddon | undefined;
  let ws: WebSocket | undefined;
  let observer: ResizeObserver | undefined;
  let unbind: (() => void) | undefined;
  /** The socket the person closed with Disconnect: its close needs no explanation beyond that. */
  let closedByUser: WebSocket | undefined;
  const encoder = new TextEncoder();

  const running = createMemo(() => (service.data()?.containers ?? []).filter((c) => c.status === 'running'));
  // Keep the choice while it still runs; otherwise the first running container.
  createEffect(() => {
    const list = running();
    if (!list.some((c) => c.name === container())) setContainer(list[0]?.name ?? '');
  });

  const command = () => (shell() === 'custom' ? custom().trim() : shell());
  const commandProblem = () => {
    if (shell() !== 'custom') return '';
    if (!command()) return 'Enter a command to run.';
    if (custom().length > MAX_COMMAND_CHARS) return `The command is too long: at most ${MAX_COMMAND_CHARS} characters.`;
    return '';
  };

  const send = (bytes: Uint8Array) => {
    if (ws?.readyState !== WebSocket.OPEN) return;
    for (let at = 0; at < bytes.length; at += FRAME_BYTES) ws.send(bytes.subarray(at, at + FRAME_BYTES));
  };
  const sendSize = () => {
    if (term && ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ resize: [term.cols, term.rows] }));
  };

  const disconnect = (byUser: boolean) => {
    const socket = ws;
    ws = undefined;
    unbind?.();
    unbind = undefined;
    if (byUser) closedByUser = socket;
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close(1000, byUser ? 'disconnected' : 'page left');
    setState('idle');
  };

  const connect = async () => {
    const problemNow = commandProblem();
    setProblem(problemNow);
    if (problemNow || !container() || state() !== 'idle') return;
    setMessage('');
    setState('loading');
    let xterm: Awaited<ReturnType<typeof loadXterm>>;
    try {
      xterm = await loadXterm();
    } catch {
      setState('idle');
      return void setMessage('The terminal could not be loaded. Reload the page and try again.');
    }
    if (!host) return;
    if (!term) {
      term = new xterm.Terminal({ cursorBlink: true, fontSize: 13, fontFamily: getComputedStyle(host).fontFamily, scrollback: 5000, theme: { background: '#0f1216', foreground: '#e6e9ee' } });
      fit = new xterm.FitAddon();
      term.loadAddon(fit);
      term.open(host);
      observer = new ResizeObserver(() => fit?.fit());
      observer.observe(host);
    }
    term.reset();
    fit!.fit();
    const query = new URLSearchParams({ container: container(), cmd: command() });
    const path = `/api/services/${encodeURIComponent(id())}/exec?${query}`;
    const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`);
    socket.binaryType = 'arraybuffer';
    ws = socket;
    setState('connecting');
    let opened = false;
    const data = term.onData((d) => send(encoder.encode(d)));
    // Mouse reports in the X10 encoding are bytes, not text.
    const binary = term.onBinary((d) => send(Uint8Array.from(d, (ch) => ch.charCodeAt(0) & 0xff)));
    const resized = term.onResize(() => sendSize());
    unbind = () => {
      data.dispose();
      binary.dispose();
      resized.dispose();
    };
    socket.onopen = () => {
      opened = true;
      setState('open');
      sendSize();
      term?.focus();
    };
    socket.onmessage = (e: MessageEvent<ArrayBuffer | string>) => {
      if (typeof e.data !== 'string') return void term?.write(new Uint8Array(e.data));
      try {
        const body = JSON.parse(e.data) as { error?: string; details?: string };
        if (body.error) setMessage(body.details ? `${body.error}: ${body.details}` : body.error);
      } catch {
        // the server sends only JSON text frames
      }
    };
    socket.onclose = (e) => {
      const mine = ws === socket || ws === undefined;
      if (ws === socket) disconnect(false);
      if (mine && !message()) setMessage(describeClose(e.code, e.reason, opened, closedByUser === socket));
      if (!opened) {
        // A page cannot read a refused upgrade's answer: the same URL as a plain GET says why (426: it would open now).
        void checkTerminal(path).then((why) => {
          if (why && mine) setMessage(why);
        });
        // A refusal before the upgrade may mean the container list changed.
        void service.refetch();
      }
    };
  };

  onCleanup(() => {
    disconnect(false);
    observer?.disconnect();
    term?.dispose();
  });

  const busy = () => state() !== 'idle';
  return (
    <div class="terminal-page">
      <div class="terminal-toolbar">
        <label class="inline">
          <span>Container</span>
          <select value={container()} onChange={(e) => setContainer(e.currentTarget.value)} disabled={busy()} aria-label="Container">
            <For each={running()}>{(c) => <option value={c.name}>{c.service === c.name ? c.name : `${c.service} (${c.name})`}</option>}</For>
          </select>
        </label>
        <label class="inline">
          <span>Shell</span>
          <select value={shell()} onChange={(e) => setShell(e.currentTarget.value as Shell)} disabled={busy()} aria-label="Shell">
            <option value="sh">sh</option>
            <option value="bash">bash</option>
            <option value="custom">Custom command…</option>
          </select>
        </label>
        <Show when={shell() === 'custom'}>
          <label class="inline grow">
            <span class="sr-only">Command</span>
            <input
              type="text"
              placeholder="e.g. top or psql -U postgres (split on spaces, no quoting)"
              value={custom()}
              disabled={busy()}
              aria-label="Command"
              onInput={(e) => setCustom(e.currentTarget.value)}
              onKeyDown={(e) => e.key === 'Enter' && void connect()}
            />
          </label>
        </Show>
        <Show
          when={busy()}
          fallback={
            <button type="button" class="primary" disabled={!container()} onClick={() => void connect()}>
              Connect
            </button>
          }
        >
          <button type="button" onClick={() => disconnect(true)}>
            Disconnect
          </button>
        </Show>
        <span class="terminal-state small" aria-live="polite" data-testid="terminal-state">
          <span classList={{ 'live-dot': true, on: state() === 'open' }} aria-hidden="true" />
          {state() === 'open' ? 'Connected' : state() === 'idle' ? 'Not connected' : 'Connecting…'}
        </span>
      </div>
      <Show when={!service.loading() && service.data() && running().length === 0}>
        <p class="notice">No container of this service is running: start it to open a terminal.</p>
      </Show>
      <Show when={problem()}>
        <p class="terminal-message" role="alert">{problem()}</p>
      </Show>
      <Show when={message()}>
        <p class="terminal-message" role="status" data-testid="terminal-message">{message()}</p>
      </Show>
      <div class="terminal-view" ref={(el) => (host = el)} role="region" aria-label="Terminal" />
    </div>
  );
}
