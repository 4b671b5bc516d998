import type { ServiceName } from '@trove/contracts';
import { hostname } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ConfigClass, PlatformConfig } from './config';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type EntityClass = Function;

export interface PlatformModuleOptions<C extends PlatformConfig = PlatformConfig> {
  service: ServiceName;
  /** The app's own settings class; PlatformConfig when the app has none of its own. */
  config?: ConfigClass<C>;
  /** TypeORM entities and migrations of the app's own database. */
  entities: EntityClass[];
  migrations: EntityClass[];
}

export interface ServiceIdentity {
  service: ServiceName;
  version: string;
  /** This process among the replicas: host and pid. */
  instance: string;
  startedAt: Date;
}

let cachedVersion: string | undefined;

/** TROVE_VERSION when the image sets one (a release tag or commit), else package.json's. */
export function serviceVersion(): string {
  if (cachedVersion) return cachedVersion;
  let dir = __dirname;
  let version = '0.0.0';
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'trove' && pkg.version) {
        version = pkg.version;
        break;
      }
    }
    dir = dirname(dir);
  }
  cachedVersion = process.env.TROVE_VERSION || version;
  return cachedVersion;
}

export function serviceIdentity(service: ServiceName): ServiceIdentity {
  return { service, version: serviceVersion(), instance: `${hostname()}:${process.pid}`, startedAt: new Date() };
}
