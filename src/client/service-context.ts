import { createContext, useContext } from 'solid-js';
import type { ServiceObject } from '../shared/schemas.js';
import type { Query } from './query.js';

/** The service page's one fetch of the service, shared by its tabs. */
export interface ServiceContextValue {
  id: () => string;
  service: Query<ServiceObject>;
  /** A deployment this page started (or was sent here for), shown live above the tabs. */
  deploymentId: () => string | undefined;
}

export const ServiceContext = createContext<ServiceContextValue>();

export function useService(): ServiceContextValue {
  const ctx = useContext(ServiceContext);
  if (!ctx) throw new Error('useService outside a service page');
  return ctx;
}
