import { describe, expect, it } from 'vitest';
import { deploymentMessage, engineMessage, incidentMessage } from '../../src/server/services/notify-messages.js';

const at = new Date('2026-12-02T03:00:00Z');
const base = { id: 'dep1', kind: 'update', serviceId: 'svc1', serviceName: 'blog', actor: 'token:ci', error: undefined };
const summary = { changed: [], rolled_back: [], restarted: [] };

describe('the words of each notification', () => {
  it('a deployment that failed or succeeded, with its error and who ran it', () => {
    const failed = deploymentMessage({ ...base, status: 'failed', error: { error: 'Image not found', details: 'web: 127.0.0.1:5055/x:1', code: 'NOT_FOUND', at: '' } }, at);
    expect(failed).toMatchObject({ event: 'deployment.failed', severity: 'error', title: 'blog: update failed', service: { id: 'svc1', name: 'blog' }, deployment_id: 'dep1', at: at.toISOString() });
    expect(failed!.body).toContain('Image not found: web: 127.0.0.1:5055/x:1');
    expect(failed!.body).toContain('by token:ci');
    expect(deploymentMessage({ ...base, status: 'succeeded' }, at)).toMatchObject({ event: 'deployment.succeeded', severity: 'info' });
  });

  it("an update's outcome: updated, unchanged, rolled back, failed; a scheduled restart is a plain deployment", () => {
    const changed = [{ container: 'blog-web-1', from: 'sha256:aaaaaaaaaaaaaaaa', to: 'sha256:bbbbbbbbbbbbbbbb' }];
    const ofUpdate = (status: 'updated' | 'unchanged' | 'rolled_back' | 'failed' | 'restarted', extra = {}) =>
      deploymentMessage({ ...base, kind: 'scheduled', status: status === 'failed' ? 'failed' : 'succeeded', update: { status, summary: { ...summary, ...extra } } }, at);
    expect(ofUpdate('updated', { changed })).toMatchObject({ event: 'update.updated', body: 'New images: blog-web-1: aaaaaaaaaaaa -> bbbbbbbbbbbb' });
    expect(ofUpdate('unchanged')).toMatchObject({ event: 'update.unchanged', severity: 'info' });
    expect(ofUpdate('rolled_back', { rolled_back: [{ container: 'blog-web-1', reason: 'exited with code 1' }] })).toMatchObject({
      event: 'update.rolled_back',
      severity: 'warning',
      body: 'Rolled back: blog-web-1: exited with code 1',
    });
    expect(ofUpdate('failed', { error: 'pull failed' })).toMatchObject({ event: 'update.failed', body: 'pull failed' });
    expect(ofUpdate('restarted')).toMatchObject({ event: 'deployment.succeeded', title: 'blog: scheduled succeeded' });
  });

  it('container incidents and the engine', () => {
    const incident = { containerId: 'c1', name: 'blog-web-1', serviceId: 'svc1', exitCode: 3, deaths: 1, key: 'k' };
    expect(incidentMessage({ ...incident, kind: 'died' }, 'blog', at)).toMatchObject({ event: 'container.died', body: 'Container blog-web-1 (service blog) exited with code 3.' });
    expect(incidentMessage({ ...incident, kind: 'restarting', deaths: 4 }, 'blog', at).body).toMatch(/died 4 times in a row/);
    expect(incidentMessage({ ...incident, kind: 'unhealthy', serviceId: undefined }, undefined, at)).toMatchObject({ event: 'container.unhealthy', severity: 'warning' });
    expect(incidentMessage({ ...incident, kind: 'unhealthy', serviceId: undefined }, undefined, at).service).toBeUndefined();
    expect(engineMessage(false, at)).toMatchObject({ event: 'engine.lost', severity: 'error' });
    expect(engineMessage(true, at)).toMatchObject({ event: 'engine.back', severity: 'info' });
  });
});
