import { useSearchParams } from '@solidjs/router';
import { LOCAL_ENGINE_ID } from './engines.js';

/**
 * The engine a list page shows (images, volumes, networks): kept in the URL as
 * ?engine=, so a link or a reload shows the same engine; the local one by default.
 */
export function useEngineParam(): [() => string, (id: string) => void] {
  const [params, setParams] = useSearchParams<{ engine?: string }>();
  return [() => params.engine || LOCAL_ENGINE_ID, (id) => setParams({ engine: id === LOCAL_ENGINE_ID ? undefined : id })];
}
