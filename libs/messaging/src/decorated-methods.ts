import type { DiscoveryService, MetadataScanner } from '@nestjs/core';

export interface DecoratedMethod<M> {
  metadata: M;
  /** The method, bound to its provider. */
  method: (...args: never[]) => unknown;
}

/** Every provider method carrying metadata under `key`: how handlers are found at start-up. */
export function decoratedMethods<M>(discovery: DiscoveryService, scanner: MetadataScanner, key: symbol): DecoratedMethod<M>[] {
  const found: DecoratedMethod<M>[] = [];
  for (const wrapper of discovery.getProviders()) {
    const instance = wrapper.instance as Record<string, unknown> | undefined;
    if (!instance || typeof instance !== 'object') continue;
    for (const name of scanner.getAllMethodNames(Object.getPrototypeOf(instance) as object)) {
      const method = instance[name] as ((...args: never[]) => unknown) | undefined;
      const metadata = method && (Reflect.getMetadata(key, method) as M | undefined);
      if (metadata) found.push({ metadata, method: method.bind(instance) });
    }
  }
  return found;
}
