import { createSignal, For, Show } from 'solid-js';
import { announce } from '../announce.js';
import { api, toUiError, type UiError } from '../api.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { EnvEditor } from '../components/EnvEditor.js';
import { ErrorBanner } from '../components/ErrorBanner.js';
import { formatBytes, formatDateTime } from '../format.js';
import { createQuery } from '../query.js';
import { useService } from '../service-context.js';

const isEnvFile = (path: string) => /(^|\/)\.env(\.[^/]*)?$|\.env$/.test(path);

/**
 * The server's refusal in the words of what was tried: "Could not create
 * ../x: Invalid path (leaves the project folder)". For a refused request the
 * details are the reason, so they are shown, not folded away.
 */
function failed(action: string, path: string, err: unknown): UiError {
  const { details, ...e } = toUiError(err);
  if (e.code === 'BAD_REQUEST' || e.code === 'NOT_FOUND' || e.code === 'PAYLOAD_TOO_LARGE') {
    return { ...e, message: `Could not ${action} ${path}: ${e.message}${details ? ` (${details})` : ''}` };
  }
  return { ...e, ...(details ? { details } : {}), message: `Could not ${action} ${path}: ${e.message}` };
}

/**
 * The service's project folder, as compose has a project directory: every
 * file listed, each opened in an editor (a .env one masked), saved, deleted,
 * or created. Saving does not apply: the next deploy reads the folder.
 */
export function Files() {
  const { id } = useService();
  const files = createQuery(id, (sid) => api.services.listFiles.query({ id: sid }));
  const [openPath, setOpenPath] = createSignal<string | undefined>();
  const [text, setText] = createSignal('');
  const [savedText, setSavedText] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<UiError | null>(null);
  const [notice, setNotice] = createSignal('');
  const [newPath, setNewPath] = createSignal('');
  const [deleting, setDeleting] = createSignal<string | undefined>();

  const dirty = () => openPath() !== undefined && text() !== savedText();

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    setNotice('');
    try {
      await work();
    } finally {
      setBusy(false);
    }
  };

  const open = (path: string) =>
    run(async () => {
      if (dirty() && path !== openPath() && !window.confirm(`Discard the unsaved changes to ${openPath()}?`)) return;
      try {
        const file = await api.services.readFile.query({ id: id(), path });
        setOpenPath(file.path);
        setText(file.content);
        setSavedText(file.content);
      } catch (err) {
        setError(failed('open', path, err));
      }
    });

  const save = (e: SubmitEvent) => {
    e.preventDefault();
    const path = openPath();
    if (path === undefined) return;
    return run(async () => {
      try {
        await api.services.writeFile.mutate({ id: id(), path, content: text() });
        setSavedText(text());
        setNotice(`Saved ${path}. The next deploy (Redeploy) applies it.`);
        announce(`Saved ${path}`);
        void files.refetch();
      } catch (err) {
        setError(failed('save', path, err));
      }
    });
  };

  const create = (e: SubmitEvent) => {
    e.preventDefault();
    const path = newPath().trim();
    if (!path) return;
    return run(async () => {
      if (files.data()?.files.some((f) => f.path === path)) {
        setError({ message: `${path} already exists: open it from the list`, recoverable: false });
        return;
      }
      try {
        await api.services.writeFile.mutate({ id: id(), path, content: '' });
        setNewPath('');
        setOpenPath(path);
        setText('');
        setSavedText('');
        announce(`Created ${path}`);
        void files.refetch();
      } catch (err) {
        setError(failed('create', path, err));
      }
    });
  };

  const remove = () => {
    const path = deleting();
    if (path === undefined) return;
    return run(async () => {
      try {
        await api.services.deleteFile.mutate({ id: id(), path });
        if (openPath() === path) setOpenPath(undefined);
        setNotice(`Deleted ${path}.`);
        announce(`Deleted ${path}`);
        void files.refetch();
      } catch (err) {
        setError(failed('delete', path, err));
      } finally {
        setDeleting(undefined);
      }
    });
  };

  return (
    <div class="files-layout" classList={{ editing: openPath() !== undefined }}>
      <div class="files-list">
        <Show when={files.error()}>{(err) => <ErrorBanner error={err()} onRetry={() => void files.refetch()} />}</Show>
        <p class="muted small">
          The service's project folder: <code>compose.yaml</code>, <code>.env</code>, and the files it refers to (<code>env_file</code>, configs, secrets, small bind mounts). Relative paths in the compose file resolve against it.
        </p>
        <div class="table-wrap" classList={{ stale: files.loading() && !!files.data() }}>
          <table class="table files-table" aria-label="Project files">
            <thead>
              <tr>
                <th scope="col">Path</th>
                <th scope="col">Size</th>
                <th scope="col">Modified</th>
                <th scope="col"><span class="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              <For each={files.data()?.files} fallback={<tr><td colspan="4" class="muted">{files.data() ? 'The folder is empty.' : 'Loading…'}</td></tr>}>
                {(f) => (
                  <tr data-file={f.path} classList={{ open: openPath() === f.path }}>
                    <td data-label="Path">
                      <button type="button" class="link file-path" onClick={() => void open(f.path)} aria-label={`Open ${f.path}`}>
                        {f.path}
                      </button>
                    </td>
                    <td data-label="Size" class="num">{formatBytes(f.size)}</td>
                    <td data-label="Modified" class="num">{formatDateTime(f.modified_at)}</td>
                    <td class="actions">
                      <button type="button" class="danger-outline small" disabled={busy()} onClick={() => setDeleting(f.path)} aria-label={`Delete ${f.path}`}>
                        Delete
                      </button>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>

        <Show when={files.data()?.truncated}>
          <p class="muted small">The folder holds more files than are listed here.</p>
        </Show>
        <form class="new-file" onSubmit={create}>
          <div class="field">
            <label for="new-file-path">New file</label>
            <input id="new-file-path" class="mono" placeholder="e.g. config/app.ini" autocomplete="off" value={newPath()} onInput={(e) => setNewPath(e.currentTarget.value)} />
          </div>
          <button type="submit" disabled={busy() || !newPath().trim()}>
            Create file
          </button>
        </form>

        <Show when={error()}>{(err) => <ErrorBanner error={err()} />}</Show>
        <Show when={notice()}>
          <p class="notice-ok" role="status">{notice()}</p>
        </Show>
      </div>

      <Show when={openPath()}>
        {(path) => (
          <form class="card stack" onSubmit={save} aria-label={`Editing ${path()}`}>
            <div class="card-head">
              <h2 class="card-title file-path">{path()}</h2>
              <span class="muted small" aria-live="polite">{dirty() ? 'Unsaved changes' : ''}</span>
            </div>
            <Show
              when={isEnvFile(path())}
              fallback={
                <textarea
                  class="file-text"
                  aria-label={`Contents of ${path()}`}
                  wrap="off"
                  spellcheck={false}
                  autocapitalize="off"
                  autocomplete="off"
                  value={text()}
                  onInput={(e) => setText(e.currentTarget.value)}
                />
              }
            >
              <EnvEditor id="file-env" label={`Contents of ${path()}`} value={text()} onInput={setText} />
            </Show>
            <div class="form-actions">
              <button type="submit" class="primary" disabled={busy() || !dirty()}>
                {busy() ? 'Saving…' : 'Save file'}
              </button>
              <button type="button" disabled={busy()} onClick={() => (!dirty() || window.confirm('Discard the unsaved changes?')) && setOpenPath(undefined)}>
                Close
              </button>
            </div>
          </form>
        )}
      </Show>

      <ConfirmDialog open={deleting() !== undefined} title={`Delete ${deleting() ?? ''}?`} confirmLabel="Delete file" danger busy={busy()} onConfirm={() => void remove()} onClose={() => setDeleting(undefined)}>
        <p>The file is removed from the project folder. A compose file that refers to it fails on the next deploy.</p>
      </ConfirmDialog>
    </div>
  );
}
