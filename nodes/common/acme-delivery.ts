/**
 * "Has the flow got this certificate?" for the ACME node. A bundle counts as delivered once
 * every node wired to output 1 has finished with the message without error (Node-RED's
 * `onComplete` message hook, Node-RED 2+), e.g. the Node-RED HTTPS node after its install. Only
 * then is it remembered in the certificate's record (CertificateManager.markDelivered); a start
 * sends a stored certificate that never was (a kill between the store and the install).
 */
import type { Node, NodeMessage } from './node-red';

export interface HooksApi {
  add(name: string, handler: (event: CompleteEvent) => void): void;
  remove(name: string): void;
}

interface CompleteEvent {
  msg?: { _msgid?: string };
  node?: { id?: string };
  error?: unknown;
}

export interface DeliveryTracker {
  /** Gives `msg` its own id and calls `delivered` once every recipient finished it without error. */
  track(msg: NodeMessage, key: string, delivered: () => void): NodeMessage;
  close(): void;
}

export function trackDeliveries(node: Node, hooks: HooksApi | undefined, recipients: string[], newId: () => string): DeliveryTracker {
  /** msg id -> recipients still working on it; one pending message per key (certificate). */
  const pending = new Map<string, { key: string; waiting: Set<string>; delivered: () => void }>();
  const hookName = `onComplete.certflowAcme${node.id.replace(/[^A-Za-z0-9]/g, '')}`;
  if (hooks && recipients.length) {
    hooks.add(hookName, (event) => {
      const id = event.msg?._msgid;
      const entry = id ? pending.get(id) : undefined;
      const from = event.node?.id;
      if (!entry || !from || !entry.waiting.has(from)) return;
      if (event.error) {
        pending.delete(id!); // not delivered: the next start sends it again
        return;
      }
      entry.waiting.delete(from);
      if (entry.waiting.size === 0) {
        pending.delete(id!);
        entry.delivered();
      }
    });
  }
  return {
    track(msg, key, delivered) {
      const tracked = { ...msg, _msgid: newId() };
      if (!hooks || recipients.length === 0) {
        // nobody to wait for (or no hooks): delivered as it leaves
        delivered();
        return tracked;
      }
      for (const [id, entry] of pending) if (entry.key === key) pending.delete(id);
      pending.set(tracked._msgid, { key, waiting: new Set(recipients), delivered });
      return tracked;
    },
    close() {
      pending.clear();
      if (hooks && recipients.length) hooks.remove(hookName);
    },
  };
}
