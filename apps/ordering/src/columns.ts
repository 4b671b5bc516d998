import type { ValueTransformer } from 'typeorm';

/**
 * `bigint` money columns arrive from pg as strings; they are read back as numbers only while
 * they are safe integers, so nothing is silently rounded.
 */
export const bigintNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => {
    if (value === null || value === undefined) return value;
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new Error(`bigint ${value} is beyond the safe integer range`);
    return n;
  },
};
