import { CommonErrorCode } from '@trove/contracts';
import type { RpcContext } from '@trove/messaging';
import { ServiceException, type Caller } from '@trove/platform';

/** The caller of a request, from the headers the gateway set. */
export function callerOf(context: RpcContext): Caller {
  if (!context.caller) throw new ServiceException(CommonErrorCode.UNAUTHENTICATED, 'The request carries no caller.');
  return context.caller;
}

/** The caller, who must act with one of `roles` (the gateway checked it; this is the second lock). */
export function callerAs(context: RpcContext, ...roles: Caller['role'][]): Caller {
  const caller = callerOf(context);
  if (!roles.includes(caller.role)) throw new ServiceException(CommonErrorCode.FORBIDDEN, `Only ${roles.join(' or ')} callers may do this.`);
  return caller;
}

export function notFound(what: string, id: string): ServiceException {
  return new ServiceException(CommonErrorCode.NOT_FOUND, `No ${what} ${id}.`);
}
