import { CommonErrorCode } from '@trove/contracts';
import type { RpcContext } from '@trove/messaging';
import { ServiceException, type Caller } from '@trove/platform';

/**
 * The caller of a request, from the headers the gateway set. Requests that change a listing
 * always come with one; a request without one was not sent through the gateway.
 */
export function callerOf(context: RpcContext): Caller {
  if (!context.caller) throw new ServiceException(CommonErrorCode.UNAUTHENTICATED, 'The request carries no caller.');
  return context.caller;
}

/** The caller, who must act with `role` (the gateway checked it; this is the second lock). */
export function callerAs(context: RpcContext, role: Caller['role']): Caller {
  const caller = callerOf(context);
  if (caller.role !== role) throw new ServiceException(CommonErrorCode.FORBIDDEN, `Only ${role} callers may do this.`);
  return caller;
}

/** The vendor that owns the listing: the only one that may change it. */
export function isOwner(caller: Caller | undefined, vendorOrganizationId: string): boolean {
  return caller?.role === 'vendor' && caller.organizationId === vendorOrganizationId;
}

/** Owners and operators see a listing in every state, with its private parts. */
export function seesEverything(caller: Caller | undefined, vendorOrganizationId: string): boolean {
  return caller?.role === 'admin' || isOwner(caller, vendorOrganizationId);
}

/**
 * Whether anyone may see and buy a listing: it is published, and its vendor is not suspended
 * by an operator (`organization_standing`). Search indexes exactly these; every other listing is
 * NOT_FOUND for all but its vendor and admins. A vendor's suspension leaves the listing's own
 * status alone, so reinstating the vendor brings back what was published, and only that.
 */
export function isPublic(listing: { status: string; vendorSuspended: boolean }): boolean {
  return listing.status === 'published' && !listing.vendorSuspended;
}

export function isAdmin(caller: Caller | undefined): boolean {
  return caller?.role === 'admin';
}

export function notFound(what: string, id: string): ServiceException {
  return new ServiceException(CommonErrorCode.NOT_FOUND, `No ${what} ${id}.`);
}

