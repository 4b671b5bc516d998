/** The processes of Trove. Each owns one database and answers on `<service>.…` subjects. */
export const SERVICES = ['gateway', 'catalog', 'ordering', 'billing', 'delivery'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** The services behind the gateway, which answer request-reply subjects. */
export const BACKEND_SERVICES = ['catalog', 'ordering', 'billing', 'delivery'] as const satisfies readonly ServiceName[];
export type BackendService = (typeof BACKEND_SERVICES)[number];

/** Where each app listens when PORT is not set. */
export const DEFAULT_PORTS: Record<ServiceName, number> = {
  gateway: 3000,
  catalog: 3001,
  ordering: 3002,
  billing: 3003,
  delivery: 3004,
};
