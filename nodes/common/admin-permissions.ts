/**
 * "Any one of these permissions" for our admin routes. RED.auth.needsPermission checks a single
 * permission; a route that fetches a URL of the caller's choice accepts the node type's own
 * write permission or the editor's `flows.write` (whoever may deploy a flow may make Node-RED
 * fetch any URL anyway, with an http request node).
 *
 * Call it after RED.auth.needsPermission(...) has run: with adminAuth on, that middleware has
 * authenticated the caller and left the scope on req.authInfo (Node-RED's editor-api,
 * lib/auth/index.js); with adminAuth off it leaves no req.user, and every caller is an
 * administrator, as for every admin route.
 */

export interface AuthenticatedRequest {
  user?: { permissions?: unknown };
  authInfo?: { scope?: unknown };
}

export function hasAnyPermission(req: AuthenticatedRequest, permissions: string[]): boolean {
  if (!req.user) return true;
  const scope = req.authInfo?.scope ?? req.user.permissions;
  return permissions.some((permission) => scopeAllows(scope, permission));
}

/** Node-RED's rule (editor-api lib/auth/permissions.js): '*', the exact name, or 'read' / 'write' for any `<x>.read` / `<x>.write`. */
function scopeAllows(scope: unknown, permission: string): boolean {
  if (Array.isArray(scope)) return scope.some((entry) => scopeAllows(entry, permission));
  if (typeof scope !== 'string') return false;
  if (scope === '*' || scope === permission) return true;
  if (scope === 'read' || scope === '*.read') return /^(.+\.)?read$/.test(permission);
  if (scope === 'write' || scope === '*.write') return /^(.+\.)?write$/.test(permission);
  return false;
}
