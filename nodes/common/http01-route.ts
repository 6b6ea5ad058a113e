/**
 * http-01 on Node-RED's own HTTP server: GET /.well-known/acme-challenge/:token on
 * RED.httpNode answers the tokens of orders in progress (lib/acme's http01Registry) and 404
 * otherwise. One route per runtime, shared by every ACME node.
 */
import { asyncRoute, type AdminHandler } from './admin-route';
import { loadAcme } from './lib';
import type { Node, NodeAPI } from './node-red';

export interface HttpNodeRuntime {
  settings: { httpNodeRoot?: string | false };
  httpNode?: { get(path: string, handler: AdminHandler): void };
  _: NodeAPI['_'];
}

/** Apps that already have the challenge route (RED.httpNode is new at every runtime start). */
const routedApps = new WeakSet<object>();

/**
 * Adds the route once per RED.httpNode; warns on `node` when Node-RED serves http-in routes
 * elsewhere than at the root, where a CA never looks.
 */
export function ensureHttp01Route(RED: HttpNodeRuntime, node: Node): void {
  const app = RED.httpNode;
  if (!app || routedApps.has(app)) return;
  routedApps.add(app);
  const { HTTP01_PATH_PREFIX, http01Registry } = loadAcme();
  app.get(
    `${HTTP01_PATH_PREFIX}:token`,
    asyncRoute(async (req, res) => {
      const body = await http01Registry.lookupShared(String(req.params.token)); // cluster: another instance's order too
      if (body === undefined) res.status(404).type('text/plain').send('Not Found');
      else res.status(200).type('text/plain').send(body);
    }),
  );
  const root = RED.settings.httpNodeRoot;
  if (root === false) node.warn(RED._('certflow-acme.warnings.httpNodeOff'));
  else if (root && root !== '/') node.warn(RED._('certflow-acme.warnings.httpNodeRoot', { root }));
}
