/**
 * Writes the NATS authorization config of the deployments from the contracts:
 *
 *   npm run build && node dist/libs/messaging/src/bus-permissions.cli.js deploy/nats/authorization.conf [namespace]
 *
 * The committed file is for the bare subject names (TROVE_NAMESPACE empty); pass a namespace
 * to render one for a deployment that sets it.
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { natsAuthorizationConfig } from './bus-permissions';
import { Namespace } from './namespace';

const target = process.argv[2] ?? 'deploy/nats/authorization.conf';
writeFileSync(target, natsAuthorizationConfig(new Namespace(process.argv[3] ?? '')));
process.stdout.write(`wrote ${target}\n`);
