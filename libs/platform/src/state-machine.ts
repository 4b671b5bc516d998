import { CommonErrorCode } from '@trove/contracts';
import { ServiceException } from './problem';

/**
 * A state machine as a table: each state lists the states it may move to. Aggregates call
 * `assert` before they change state, so an illegal move is an INVALID_STATE (409), never a
 * silent write.
 */
export class StateMachine<S extends string> {
  constructor(
    readonly name: string,
    private readonly transitions: Readonly<Record<S, readonly S[]>>,
  ) {}

  get states(): S[] {
    return Object.keys(this.transitions) as S[];
  }

  can(from: S, to: S): boolean {
    return this.transitions[from]?.includes(to) ?? false;
  }

  assert(from: S, to: S): void {
    if (!this.can(from, to)) {
      throw new ServiceException(CommonErrorCode.INVALID_STATE, `The ${this.name} is ${from} and cannot become ${to}.`);
    }
  }

  isTerminal(state: S): boolean {
    return this.transitions[state].length === 0;
  }

  /** Every state reachable from `start`: a test proves no state is dead. */
  reachableFrom(start: S): Set<S> {
    const seen = new Set<S>([start]);
    const queue = [start];
    while (queue.length > 0) {
      for (const next of this.transitions[queue.shift()!]) {
        if (!seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
    return seen;
  }
}
