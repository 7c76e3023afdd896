import { createEffect, createMemo, createSignal, For, Index, on, onCleanup, Show } from 'solid-js';
import type { ComposeIssue } from '../../shared/compose/model.js';
import { variableLines, warningLine, warningVariable } from '../env-text.js';

type Validator = typeof import('../../shared/compose/index.js');

// The compose pipeline (yaml, the specification's checks) is most of the
// dashboard's weight: load it only when an editor opens, and once.
let validator: Promise<Validator> | undefined;
const loadValidator = () => (validator ??= import('../../shared/compose/index.js'));

const LINE_PX = 20;
const PAD_PX = 10;

export interface EditorWarning {
  message: string;
  /** The lines it is about: the one it names, else those using the variable it names; empty: listed, marks none. */
  lines: number[];
}

function placeWarning(message: string, yaml: string): EditorWarning {
  const line = warningLine(message);
  if (line) return { message, lines: [line] };
  const variable = warningVariable(message);
  return { message, lines: variable ? variableLines(yaml, variable) : [] };
}

export interface Validation {
  ok: boolean;
  issues: ComposeIssue[];
  warnings: EditorWarning[];
  /** Problems with the service name itself, shown by the name field. */
  nameIssues: string[];
}

const hasNameKey = (text: string) => /^name\s*:/m.test(text);

/**
 * A compose YAML editor that validates as you type with the server's own
 * pipeline (loadCompose, with the .env text beside it) and marks each problem
 * at its line: errors in red, warnings (an unset variable) in amber, a marker
 * in the gutter, and a list whose "Line N" jumps there.
 */
export function DefinitionEditor(props: {
  id: string;
  value: string;
  name: string;
  /** The .env text: its variables fill `${VAR}` in the check, as on the server. */
  env?: string;
  onInput: (text: string) => void;
  onValidate?: (v: Validation) => void;
  describedBy?: string;
}) {
  let textarea!: HTMLTextAreaElement;
  let gutter!: HTMLDivElement;
  let bands!: HTMLDivElement;
  const [issues, setIssues] = createSignal<ComposeIssue[]>([]);
  const [warnings, setWarnings] = createSignal<EditorWarning[]>([]);
  const [checked, setChecked] = createSignal(false);
  const [unavailable, setUnavailable] = createSignal(false);

  const lineCount = createMemo(() => props.value.split('\n').length);
  const lines = createMemo(() => Array.from({ length: lineCount() }, (_, i) => i + 1));
  // An issue without a line (one in the .env) is listed but marks no line of the compose file.
  const errorLines = createMemo(() => new Set(issues().flatMap((i) => (i.line ? [i.line] : []))));
  const warnLines = createMemo(() => new Set(warnings().flatMap((w) => w.lines.filter((l) => !errorLines().has(l)))));
  const lineClass = (n: number) => (errorLines().has(n) ? 'err' : warnLines().has(n) ? 'warn' : '');

  let timer: ReturnType<typeof setTimeout> | undefined;
  const validate = (text: string, name: string, env: string) => {
    // The last result stays on screen until the new one is ready: no flicker while typing.
    clearTimeout(timer);
    timer = setTimeout(async () => {
      let v: Validator;
      try {
        v = await loadValidator();
      } catch {
        setUnavailable(true);
        return;
      }
      // An empty name field is not this editor's problem: validate with a stand-in.
      let result: ReturnType<Validator['loadCompose']>;
      try {
        result = v.loadCompose({ name: name || 'service', yaml: text, env });
      } catch (err) {
        // The pipeline reports problems as issues; a throw is its own bug, and the server still checks.
        result = { ok: false, issues: [{ path: [], message: `The check failed: ${String(err)}` }], warnings: [] };
      }
      let all = result.ok ? [] : result.issues;
      const nameIssues: string[] = [];
      if (!name) all = all.filter((i) => !(i.path.length === 1 && i.path[0] === 'name'));
      if (!hasNameKey(text)) {
        // Without a `name:` line in the YAML, a name problem belongs to the name field.
        for (const i of all.filter((i) => i.path.length === 1 && i.path[0] === 'name')) nameIssues.push(i.message);
        all = all.filter((i) => !(i.path.length === 1 && i.path[0] === 'name'));
      }
      const found = result.warnings.map((message) => placeWarning(message, text));
      setIssues(all);
      setWarnings(found);
      setChecked(true);
      props.onValidate?.({ ok: all.length === 0 && nameIssues.length === 0, issues: all, warnings: found, nameIssues });
    }, 150);
  };
  createEffect(on([() => props.value, () => props.name, () => props.env ?? ''], ([text, name, env]) => validate(text, name, env)));
  onCleanup(() => clearTimeout(timer));

  const syncScroll = () => {
    gutter.scrollTop = textarea.scrollTop;
    bands.style.transform = `translate(${-textarea.scrollLeft}px, ${-textarea.scrollTop}px)`;
  };

  const jumpTo = (line: number) => {
    const text = props.value;
    let offset = 0;
    for (let n = 1; n < line; n++) {
      const next = text.indexOf('\n', offset);
      if (next < 0) break;
      offset = next + 1;
    }
    textarea.focus();
    textarea.setSelectionRange(offset, offset);
    textarea.scrollTop = Math.max(0, (line - 1) * LINE_PX - textarea.clientHeight / 2);
    syncScroll();
  };

  /** Enter keeps the indentation of the line above, and indents after "key:". */
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key !== 'Enter' || e.shiftKey || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    const { selectionStart: start, value } = textarea;
    const lineStart = value.lastIndexOf('\n', start - 1) + 1;
    const current = value.slice(lineStart, start);
    const indent = (/^\s*(- )?/.exec(current)?.[0] ?? '').replace('- ', '  ');
    const extra = /:\s*$/.test(current) ? '  ' : '';
    e.preventDefault();
    // execCommand keeps the browser's undo history; setRangeText would lose it.
    if (!document.execCommand('insertText', false, `\n${indent}${extra}`)) {
      textarea.setRangeText(`\n${indent}${extra}`, start, textarea.selectionEnd, 'end');
      props.onInput(textarea.value);
    }
  };

  const issuesId = () => `${props.id}-issues`;
  return (
    <div class="editor-wrap">
      <div class="editor" classList={{ invalid: checked() && issues().length > 0 }}>
        <div class="editor-gutter" ref={gutter} aria-hidden="true">
          <div style={{ 'padding-top': `${PAD_PX}px`, 'padding-bottom': `${PAD_PX + 40}px` }}>
            <Index each={lines()}>{(n) => <div class={`gutter-line ${lineClass(n())}`}>{n()}</div>}</Index>
          </div>
        </div>
        <div class="editor-main">
          <div class="editor-bands" ref={bands} aria-hidden="true">
            <For each={[...errorLines()]}>{(line) => <div class="band" style={{ top: `${PAD_PX + (line - 1) * LINE_PX}px` }} />}</For>
            <For each={[...warnLines()]}>{(line) => <div class="band warn" style={{ top: `${PAD_PX + (line - 1) * LINE_PX}px` }} />}</For>
          </div>
          <textarea
            id={props.id}
            ref={textarea}
            class="editor-text"
            wrap="off"
            spellcheck={false}
            autocapitalize="off"
            autocomplete="off"
            value={props.value}
            aria-invalid={checked() && issues().length > 0}
            aria-describedby={[issuesId(), props.describedBy].filter(Boolean).join(' ')}
            onInput={(e) => props.onInput(e.currentTarget.value)}
            onScroll={syncScroll}
            onKeyDown={onKeyDown}
          />
        </div>
      </div>
      <div id={issuesId()} class="editor-status">
        <Show when={unavailable()}>
          <p class="muted small">Live checking is unavailable; the server checks the definition when you submit.</p>
        </Show>
        <Show when={checked() && issues().length === 0 && !unavailable()}>
          <p class="ok-text small" data-testid="definition-valid">
            ✓ Valid definition{warnings().length ? `, ${warnings().length} warning${warnings().length > 1 ? 's' : ''}` : ''}
          </p>
        </Show>
        <Show when={issues().length > 0}>
          <ul class="issues" aria-label="Problems in the definition">
            <For each={issues()}>
              {(issue) => (
                <li data-line={issue.line ?? ''}>
                  <Show when={issue.line} fallback={<span class="issue-kind">Error</span>}>
                    {(line) => (
                      <button type="button" class="link" onClick={() => jumpTo(line())}>
                        Line {line()}
                      </button>
                    )}
                  </Show>
                  <span class="issue-path">{issue.path.length ? issue.path.join('.') : ''}</span>
                  <span>{issue.message}</span>
                </li>
              )}
            </For>
          </ul>
        </Show>
        <Show when={warnings().length > 0}>
          <ul class="issues warnings" aria-label="Warnings in the definition">
            <For each={warnings()}>
              {(w) => (
                <li data-line={w.lines.join(' ')}>
                  <For each={w.lines} fallback={<span class="issue-kind">Warning</span>}>
                    {(line) => (
                      <button type="button" class="link" onClick={() => jumpTo(line)}>
                        Line {line}
                      </button>
                    )}
                  </For>
                  <span>{w.message}</span>
                </li>
              )}
            </For>
          </ul>
        </Show>
        <span class="sr-only" role="status">{checked() ? `${issues().length ? `${issues().length} problem${issues().length > 1 ? 's' : ''} in the definition` : 'Definition is valid'}${warnings().length ? `, ${warnings().length} warning${warnings().length > 1 ? 's' : ''}` : ''}` : ''}</span>
      </div>
    </div>
  );
}
