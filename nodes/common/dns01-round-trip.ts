/**
 * dns-01 through the flow: the ACME node asks the flow to set (or remove) a TXT record with a
 * message on its 2nd output, and waits until the flow sends that message back in (matched by
 * a random id), or gives a clear error after `timeoutMs`. The flow's last node is usually an
 * http request node calling a DNS provider's API: its msg.statusCode tells success from failure.
 */
import { randomUUID } from 'node:crypto';
import { CertflowError } from '../../lib/errors';
import type { Dns01Record } from '../../lib/acme';
import { isObject, objectOf, textOf } from '../../lib/guards';
import type { NodeMessage } from './node-red';

export interface Dns01RoundTripOptions {
  /** Sends the request message (on the node's 2nd output). */
  send(msg: NodeMessage): void;
  /** How long to wait for a "set" to come back; a "remove" waits at most 30 s. */
  timeoutMs: number;
  /** The node's message catalogue (RED._): texts `certflow-acme.errors.dnsFlowTimeout` / `dnsFlowFailed` / `closed`. */
  text(key: string, substitutions?: Record<string, unknown>): string;
}

export interface Dns01RoundTrip {
  /** The dns-01 hook for lib/acme: each call resolves when the flow has done it. */
  hook: { set(record: Dns01Record): Promise<void>; remove(record: Dns01Record): Promise<void> };
  /** True when msg is a dns-01 request coming back from the flow (it then starts no order). */
  receive(msg: NodeMessage): boolean;
  /** Rejects everything still waiting (the node is closing). */
  close(): void;
}

const REMOVE_WAIT_MAX_MS = 30000;

export function dns01RoundTrip(options: Dns01RoundTripOptions): Dns01RoundTrip {
  const waiting = new Map<string, { resolve: () => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();

  function ask(action: 'set' | 'remove', record: Dns01Record): Promise<void> {
    const id = randomUUID();
    const request = { action, name: record.name, value: record.value, identifier: record.identifier, id };
    const wait = action === 'set' ? options.timeoutMs : Math.min(options.timeoutMs, REMOVE_WAIT_MAX_MS);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(
          new CertflowError(
            'ACME_DNS_FLOW_TIMEOUT',
            options.text('certflow-acme.errors.dnsFlowTimeout', { action, name: record.name, seconds: Math.round(wait / 1000) }),
          ),
        );
      }, wait);
      waiting.set(id, { resolve, reject, timer });
      options.send({ topic: 'dns-01', payload: { ...request }, dns01: request });
    });
  }

  return {
    hook: { set: (record) => ask('set', record), remove: (record) => ask('remove', record) },
    receive(msg) {
      const echo = msg.dns01 ?? msg.payload;
      const id = isObject(echo) && (msg.dns01 || echo.action === 'set' || echo.action === 'remove') ? echo.id : undefined;
      if (typeof id !== 'string') return false;
      const entry = waiting.get(id);
      if (!entry) return true; // late (after a timeout) or from another node: ignore
      waiting.delete(id);
      clearTimeout(entry.timer);
      // an http request node leaves statusCode: an HTTP status, or a code like ECONNREFUSED
      const code = msg.statusCode;
      const numeric = /^\d+$/.test(String(code));
      const failed = code !== undefined && code !== null && code !== '' && (numeric ? Number(code) >= 300 : true);
      if (failed)
        entry.reject(
          new Error(
            options.text('certflow-acme.errors.dnsFlowFailed', {
              name: textOf(objectOf(echo).name ?? ''),
              status: numeric ? `HTTP ${textOf(code)}` : textOf(code),
            }),
          ),
        );
      else entry.resolve();
      return true;
    },
    close() {
      for (const entry of waiting.values()) {
        clearTimeout(entry.timer);
        entry.reject(new CertflowError('ACME_CLOSED', options.text('certflow-acme.errors.closed')));
      }
      waiting.clear();
    },
  };
}
