import { registerDecorator, type ValidationArguments } from 'class-validator';
import { isIP } from 'node:net';

/**
 * The proxies named in TRUST_PROXY: comma-separated addresses or CIDRs. Only a request that
 * arrives from one of them has its X-Forwarded-For believed; from anyone else the header is
 * ignored and the client address is the connection's own, so a client cannot choose its
 * rate-limit bucket or the address written to the audit log.
 */
export function trustedProxies(setting: string | undefined): string[] {
  return (setting ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

function isAddressOrCidr(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** The first entry of a TRUST_PROXY value that is neither an address nor a CIDR. */
export function invalidProxyEntry(setting: string): string | undefined {
  return trustedProxies(setting).find((entry) => !isAddressOrCidr(entry));
}

/** Validates a TRUST_PROXY-style list; the error names the entry that is wrong. */
export function IsProxyList(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isProxyList',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown) => typeof value === 'string' && invalidProxyEntry(value) === undefined,
        defaultMessage: (args?: ValidationArguments) =>
          `${args?.property} must be comma-separated IP addresses or CIDRs such as 10.0.0.0/8,192.168.1.10 ("${typeof args?.value === 'string' ? invalidProxyEntry(args.value) : ''}" is neither)`,
      },
    });
}
