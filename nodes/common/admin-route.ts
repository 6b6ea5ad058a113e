/**
 * Express routes of our nodes (RED.httpAdmin, RED.httpNode): the parts of Express's request and
 * response they use, and asyncRoute for a route handler that awaits.
 */
import type { AuthenticatedRequest } from './admin-permissions';

/** The parts of Express's request the routes read. */
export interface AdminRequest extends AuthenticatedRequest {
  query?: unknown;
  body?: unknown;
  params: Record<string, string | undefined>;
}

/** The parts of Express's response the routes use. */
export interface AdminResponse {
  status(code: number): AdminResponse;
  type(contentType: string): AdminResponse;
  set(fields: Record<string, string>): AdminResponse;
  json(body: unknown): void;
  send(body: string): void;
}

export type AdminHandler = (req: AdminRequest, res: AdminResponse, next: (err?: unknown) => void) => void;

/**
 * An async route as Express wants it (a handler that returns nothing): a failure it did not
 * answer goes to Express's error handling, as Express 5 does with a returned promise.
 */
export function asyncRoute(handler: (req: AdminRequest, res: AdminResponse) => Promise<void>): AdminHandler {
  return (req, res, next) => {
    handler(req, res).catch(next);
  };
}
