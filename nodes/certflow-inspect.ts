/**
 * certflow-inspect ("inspect"): what a certificate, chain, CSR, key or PKCS#12 file says and
 * whether it is healthy - from msg.payload, a file, or a live TLS server. A second output fires
 * when fewer than N days remain, so an expiry monitor is one inject + one inspect node.
 */
import { CertflowError, shorten } from '../lib/errors';
import type { InspectOptions, InspectResult } from '../lib/inspect';
import { isBundleObject } from './common/bundle';
import { handleInput } from './common/handle-input';
import { loadInspect } from './common/lib';
import { checkInputShape } from './common/input-limits';
import type { Node, NodeAPI, NodeDef, NodeMessage } from './common/node-red';
import { parseNumberSetting } from './common/number-setting';
import { describeSource, evaluateNumber, evaluateProperty, evaluateSecret, evaluateText, typedConfig } from './common/properties';
import { MAX_CERTIFICATE_FILE_BYTES, readFileWithLimits } from './common/read-file';
import { requiredProblem } from './common/required';
import { statusError, statusOk, statusProblem, statusProgress, statusWarning } from './common/status';

type Source = 'payload' | 'file' | 'server';
type Trust = 'system' | 'ca' | 'none';
const DEFAULT_PORT = 443;
const DEFAULT_TIMEOUT_SECONDS = 10;
// the editor's limits (certflow-inspect.html), for flows that were imported or hand-edited
const PORT_RANGE = { min: 1, max: 65535, whole: true };
const TIMEOUT_RANGE = { min: 0.001, max: 300, whole: false };
const ALERT_DAYS_RANGE = { min: 0, max: 3650, whole: true };

interface InspectNodeConfig extends NodeDef {
  source?: Source;
  trust?: Trust;
  timeout?: string | number;
  alertDays?: string | number;
  failOnProblems?: boolean;
  /** The CA certificate(s) to trust, pasted into the dialog (trustCaType `pasted`). */
  trustCaPem?: string;
  [typedInput: string]: unknown;
}

export = function register(RED: NodeAPI): void {
  function CertflowInspectNode(this: Node, config: InspectNodeConfig) {
    RED.nodes.createNode(this, config);
    setUpInspectNode(this, config);
  }

  function setUpInspectNode(node: Node, config: InspectNodeConfig): void {
    const { certificatesFrom, inspect, inspectRemote } = loadInspect();
    const source: Source = config.source === 'file' || config.source === 'server' ? config.source : 'payload';
    const trust: Trust = config.trust === 'ca' || config.trust === 'none' ? config.trust : 'system';
    const pathSource = typedConfig(config, 'path');
    const hostSource = typedConfig(config, 'host');
    const portSource = typedConfig(config, 'port', 'num');
    const servernameSource = typedConfig(config, 'servername');
    const checkHostSource = typedConfig(config, 'checkHost');
    const trustCaSource = typedConfig(config, 'trustCa');
    const passwordSource = typedConfig(config, 'passwordFrom', 'none');
    // what the dialog marks invalid shows at deploy, and refuses every message with the same words
    const missing = requiredProblem(RED, 'certflow-inspect', config);
    if (missing) statusError(node, missing);

    /** The dialog's timeout and alert days, checked at each message so a bad value is reported like any input. */
    function limits(): { timeoutMs: number; alertDays?: number } {
      const timeout = parseNumberSetting(config.timeout, TIMEOUT_RANGE, 'INSPECT_TIMEOUT_INVALID', (value) =>
        RED._('certflow-inspect.errors.timeout', { value }),
      );
      const days = parseNumberSetting(config.alertDays, ALERT_DAYS_RANGE, 'INSPECT_ALERT_DAYS_INVALID', (value) =>
        RED._('certflow-inspect.errors.alertDays', { value }),
      );
      return { timeoutMs: 1000 * (timeout ?? DEFAULT_TIMEOUT_SECONDS), alertDays: days ? days : undefined };
    }

    /**
     * The CA certificates to trust when "this CA" is chosen: PEM pasted into the dialog, a file
     * (PEM or DER), or a msg / flow / global / env value (PEM text, a list, or a bundle whose
     * `ca` is taken). A one-line `str` from older flows is read as PEM too.
     */
    async function trustAnchors(msg: NodeMessage, timeoutMs: number): Promise<string[] | 'system' | 'none'> {
      if (trust !== 'ca') return trust;
      let value: unknown;
      let where: string;
      if (trustCaSource.type === 'pasted') {
        value = config.trustCaPem;
        where = RED._('certflow-inspect.errors.trustCaPasted');
      } else if (trustCaSource.type === 'file') {
        const file = typeof trustCaSource.value === 'string' ? trustCaSource.value.trim() : '';
        where = RED._('certflow-inspect.errors.trustCaFile', { path: file });
        value = file
          ? await readFileWithLimits(file, {
              maxBytes: MAX_CERTIFICATE_FILE_BYTES,
              timeoutMs,
              text: (key, substitutions) => RED._(`certflow-inspect.errors.${key}`, { source: where, ...substitutions }),
            })
          : undefined;
      } else {
        value = await evaluateProperty(RED, node, msg, trustCaSource);
        where = describeSource(trustCaSource);
      }
      if (value === undefined || value === null || value === '' || (Buffer.isBuffer(value) && value.length === 0)) {
        throw new CertflowError('TRUST_CA_MISSING', RED._('certflow-inspect.errors.noTrustCa', { source: where }));
      }
      // A bundle given as trust anchor means its CA (or its certificate when it is the CA).
      const anchor = isBundleObject(value) && value.ca ? value.ca : value;
      return certificatesFrom(anchor, { source: `the trusted CA (${where})` });
    }

    async function fromServer(
      msg: NodeMessage,
      checkHost: string | undefined,
      anchors: string[] | 'system' | 'none',
      timeoutMs: number,
      alertDays?: number,
    ): Promise<InspectResult> {
      const host = await evaluateText(RED, node, msg, hostSource);
      if (!host) throw new CertflowError('HOST_MISSING', RED._('certflow-inspect.errors.noHost', { source: describeSource(hostSource) }));
      const port =
        (await evaluateNumber(RED, node, msg, portSource, PORT_RANGE, 'REMOTE_PORT_INVALID', (value) =>
          RED._('certflow-inspect.errors.port', { value, source: describeSource(portSource) }),
        )) ?? DEFAULT_PORT;
      const servername = await evaluateText(RED, node, msg, servernameSource);
      statusProgress(node, RED._('certflow-inspect.status.connecting', { host, port }));
      return inspectRemote({
        host,
        port,
        servername,
        timeoutMs,
        ca: Array.isArray(anchors) ? anchors : undefined,
        checkHost,
        warnDays: alertDays,
      });
    }

    handleInput(node, async (msg, send) => {
      if (missing) throw missing;
      const { timeoutMs, alertDays } = limits();
      const secret = await evaluateSecret(RED, node, msg, passwordSource, 'password');
      const checkHost = await evaluateText(RED, node, msg, checkHostSource);
      const anchors = await trustAnchors(msg, timeoutMs);
      const options: InspectOptions = {
        password: secret,
        passphrase: secret,
        host: checkHost,
        // The default (system roots) is lib's own default: a lone certificate, such as a
        // cert.pem watched for expiry, is then judged on its own instead of failing for the
        // intermediate it does not carry; a chain or a bundle with its CA is still verified.
        trustAnchors: anchors === 'system' ? undefined : anchors,
        ...(alertDays ? { warnDays: alertDays } : {}),
      };
      let result: InspectResult;
      let bundleInput = false;
      if (source === 'server') {
        result = await fromServer(msg, checkHost, anchors, timeoutMs, alertDays);
      } else if (source === 'file') {
        const path = await evaluateText(RED, node, msg, pathSource);
        if (!path) throw new CertflowError('FILE_MISSING', RED._('certflow-inspect.errors.noPath', { source: describeSource(pathSource) }));
        result = await inspect(await readFileWithLimits(path, { maxBytes: MAX_CERTIFICATE_FILE_BYTES, timeoutMs, text: fileText }), options);
        msg.filename = path;
      } else {
        if (isEmptyPayload(msg.payload)) throw new CertflowError('EMPTY_INPUT', RED._('certflow-inspect.errors.emptyPayload'));
        checkInputShape(msg.payload, 'msg.payload');
        bundleInput = isBundleObject(msg.payload);
        result = await inspect(msg.payload, options);
      }
      // Plain JSON: Node-RED clones messages (second output, Catch nodes, Debug), which class
      // instances inside the result would not survive.
      const info = JSON.parse(JSON.stringify(result)) as InspectResult;
      // A bundle keeps travelling with its inspection; anything else is replaced by it.
      msg.payload = bundleInput ? { ...(msg.payload as object), info } : info;

      if (config.failOnProblems && !info.ok) {
        throw new CertflowError('INSPECT_PROBLEM', info.problems[0] ?? info.summary, { summary: info.summary });
      }
      const days = info.checks.daysRemaining;
      const alert = alertDays !== undefined && days !== undefined && days < alertDays;
      showResult(info, alert);
      send(alert ? [msg, msg] : [msg, null]);
    });

    function showResult(info: InspectResult, alert: boolean): void {
      const days = info.checks.daysRemaining;
      let text: string;
      if (days === undefined) text = info.summary;
      else if (days < 0) text = RED._('certflow-inspect.status.expired', { days: -days });
      else text = RED._('certflow-inspect.status.expiresIn', { days });
      if (!info.ok) {
        // expired says it all; otherwise the first problem is the news (the rest is in msg.payload)
        statusProblem(node, shorten(days !== undefined && days < 0 ? text : (info.problems[0] ?? text)));
      } else if (alert || info.warnings.length > 0) {
        statusWarning(node, shorten(text));
      } else {
        statusOk(node, shorten(text));
      }
    }

    function fileText(key: string, substitutions?: Record<string, unknown>): string {
      return RED._(`certflow-inspect.errors.${key}`, { source: describeSource(pathSource), ...substitutions });
    }
  }
  RED.nodes.registerType('certflow-inspect', CertflowInspectNode, {
    credentials: { password: { type: 'password' } },
  });
};

function isEmptyPayload(payload: unknown): boolean {
  if (payload === undefined || payload === null) return true;
  if (typeof payload === 'string') return payload.trim() === '';
  return Buffer.isBuffer(payload) && payload.length === 0;
}
