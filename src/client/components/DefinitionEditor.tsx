import { createEffect, createMemo, createSignal, For, Index, on, onCleanup, Show } from 'solid-js';
import type { DefinitionIssue } from '../../shared/definition.js';

type Validator = typeof import('../../shared/definition.js');

// zod, yaml and shell-quote are most of the dashboard's weight: load them
// only when an editor opens, and once.
let validator: Promise<Validator> | undefined;
const loadValidator = () => (validator ??= import('../../shared/definition.js'));

const LINE_PX = 20;
const PAD_PX = 10;

export interface Validation {
  ok: boolean;
  issues: DefinitionIssue[];
  /** Problems with the service name itself, shown by the name field. */
  nameIssues: string[];
}

const hasNameKey = (text: string) => /^name\s*:/m.test(text);

/**
 * A compose YAML editor that validates as you type against the server's own
 * schema (parseComposeYaml) and marks each problem at its line: a red band on
 * the line, a marker in the gutter, and a list of problems that jump there.
 */
export function DefinitionEditor(props: {
  id: string;
  value: string;
  name: string;
  onInput: (text: string) => void;
  onValidate?: (v: Validation) => void;
  describedBy?: string;
}) {
  let textarea!: HTMLTextAreaElement;
  let gutter!: HTMLDivElement;
  let bands!: HTMLDivElement;
  const [issues, setIssues] = createSignal<DefinitionIssue[]>([]);
  const [checked, setChecked] = createSignal(false);
  const [unavailable, setUnavailable] = createSignal(false);

  const lineCount = createMemo(() => props.value.split('\n').length);
  const lines = createMemo(() => Array.from({ length: lineCount() }, (_, i) => i + 1));
  const errorLines = createMemo(() => new Set(issues().map((i) => i.line ?? 1)));

  let timer: ReturnType<typeof setTimeout> | undefined;
  const validate = (text: string, name: string) => {
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
      const result = v.parseComposeYaml(name || 'service', text);
      let all = result.ok ? [] : result.issues;
      const nameIssues: string[] = [];
      if (!name) all = all.filter((i) => !(i.path.length === 1 && i.path[0] === 'name'));
      if (!hasNameKey(text)) {
        // Without a `name:` line in the YAML, a name problem belongs to the name field.
        for (const i of all.filter((i) => i.path.length === 1 && i.path[0] === 'name')) nameIssues.push(i.message);
        all = all.filter((i) => !(i.path.length === 1 && i.path[0] === 'name'));
      }
      setIssues(all);
      setChecked(true);
      props.onValidate?.({ ok: all.length === 0 && nameIssues.length === 0, issues: all, nameIssues });
    }, 150);
  };
  createEffect(on([() => props.value, () => props.name], ([text, name]) => validate(text, name)));
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
            <Index each={lines()}>{(n) => <div classList={{ 'gutter-line': true, err: errorLines().has(n()) }}>{n()}</div>}</Index>
          </div>
        </div>
        <div class="editor-main">
          <div class="editor-bands" ref={bands} aria-hidden="true">
            <For each={[...errorLines()]}>{(line) => <div class="band" style={{ top: `${PAD_PX + (line - 1) * LINE_PX}px` }} />}</For>
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
          <p class="ok-text small" data-testid="definition-valid">✓ Valid definition</p>
        </Show>
        <Show when={issues().length > 0}>
          <ul class="issues" aria-label="Problems in the definition">
            <For each={issues()}>
              {(issue) => (
                <li data-line={issue.line ?? 1}>
                  <button type="button" class="link" onClick={() => jumpTo(issue.line ?? 1)}>
                    Line {issue.line ?? 1}
                  </button>
                  <span class="issue-path">{issue.path.length ? issue.path.join('.') : ''}</span>
                  <span>{issue.message}</span>
                </li>
              )}
            </For>
          </ul>
        </Show>
        <span class="sr-only" role="status">{checked() ? (issues().length ? `${issues().length} problem${issues().length > 1 ? 's' : ''} in the definition` : 'Definition is valid') : ''}</span>
      </div>
    </div>
  );
}
