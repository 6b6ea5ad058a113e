/**
 * DNS on the wire (RFC 1035), just what dns-01 needs: queries for TXT/SOA/NS/CNAME/A, dynamic
 * UPDATE messages (RFC 2136) signed with TSIG (RFC 8945), over UDP with a TCP retry when the
 * answer is truncated. Our own code on node:dgram/node:net because node:dns can neither sign
 * an update nor ask a given server on a given port without recursion.
 */
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { CertflowError } from '../../errors';

export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, TXT: 16, AAAA: 28, OPT: 41, TSIG: 250, ANY: 255 } as const;
const CLASS_IN = 1;
const CLASS_NONE = 254;
const CLASS_ANY = 255;
const OPCODE_UPDATE = 5;

export const RCODE_NAMES: Record<number, string> = {
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
  6: 'YXDOMAIN',
  7: 'YXRRSET',
  8: 'NXRRSET',
  9: 'NOTAUTH',
  10: 'NOTZONE',
  16: 'BADSIG',
  17: 'BADKEY',
  18: 'BADTIME',
  22: 'BADTRUNC',
};

export interface DnsServer {
  host: string;
  port: number;
}

export interface ResourceRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  /** Decoded data: TXT -> string (character-strings joined), NS/CNAME -> name, A/AAAA -> address, SOA -> mname. */
  data: string;
  raw: Buffer;
}

export interface DnsMessage {
  id: number;
  rcode: number;
  /** Authoritative answer flag. */
  aa: boolean;
  tc: boolean;
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
  /** TSIG error of the response (BADSIG, BADKEY, BADTIME), when the server signed or refused the signature. */
  tsigError?: number;
  tsigMac?: Buffer;
}

export interface TsigKey {
  name: string;
  /** 'hmac-sha256' (default), 'hmac-sha512', 'hmac-sha384', 'hmac-sha224', 'hmac-sha1', 'hmac-md5'. */
  algorithm?: string;
  /** base64 secret. SECRET: never in a message. */
  secret: string;
}

const HMAC: Record<string, { digest: string; wire: string }> = {
  'hmac-md5': { digest: 'md5', wire: 'hmac-md5.sig-alg.reg.int' },
  'hmac-sha1': { digest: 'sha1', wire: 'hmac-sha1' },
  'hmac-sha224': { digest: 'sha224', wire: 'hmac-sha224' },
  'hmac-sha256': { digest: 'sha256', wire: 'hmac-sha256' },
  'hmac-sha384': { digest: 'sha384', wire: 'hmac-sha384' },
  'hmac-sha512': { digest: 'sha512', wire: 'hmac-sha512' },
};

export function tsigAlgorithm(name = 'hmac-sha256'): { digest: string; wire: string } {
  const found =
    HMAC[
      name
        .toLowerCase()
        .replace(/\.$/, '')
        .replace(/\.sig-alg\.reg\.int$/, '')
    ];
  if (!found) throw new CertflowError('DNS_BAD_TSIG_ALGORITHM', `TSIG algorithm "${name}" is not supported (use ${Object.keys(HMAC).join(', ')})`);
  return found;
}

/** Name without trailing dot, lower case. */
export function normalizeName(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

function encodeName(name: string): Buffer {
  const labels = normalizeName(name).split('.').filter(Boolean);
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'ascii');
    if (bytes.length > 63) throw new CertflowError('DNS_BAD_NAME', `the DNS label "${label}" is longer than 63 characters`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** TXT rdata: the value split into character-strings of at most 255 bytes. */
function txtRdata(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length || i === 0; i += 255) {
    const chunk = bytes.subarray(i, i + 255);
    parts.push(Buffer.from([chunk.length]), chunk);
    if (bytes.length === 0) break;
  }
  return Buffer.concat(parts);
}

function rr(name: string, type: number, klass: number, ttl: number, rdata: Buffer): Buffer {
  return Buffer.concat([encodeName(name), u16(type), u16(klass), u32(ttl), u16(rdata.length), rdata]);
}

function header(id: number, flags: number, counts: [number, number, number, number]): Buffer {
  return Buffer.concat([u16(id), u16(flags), ...counts.map(u16)]);
}

/** A query; `recursion` sets RD (false to ask an authoritative server about its own data). */
export function buildQuery(name: string, type: number, recursion = true, id = randomInt(0, 65536)): Buffer {
  return Buffer.concat([header(id, recursion ? 0x0100 : 0, [1, 0, 0, 0]), encodeName(name), u16(type), u16(CLASS_IN)]);
}

export interface TxtUpdate {
  action: 'add' | 'delete';
  name: string;
  value: string;
  ttl?: number;
}

/** An RFC 2136 UPDATE for `zone`: add or delete single TXT values. */
export function buildUpdate(zone: string, updates: TxtUpdate[], id = randomInt(0, 65536)): Buffer {
  const records = updates.map((u) =>
    u.action === 'add' ? rr(u.name, TYPE.TXT, CLASS_IN, u.ttl ?? 60, txtRdata(u.value)) : rr(u.name, TYPE.TXT, CLASS_NONE, 0, txtRdata(u.value)),
  );
  return Buffer.concat([header(id, OPCODE_UPDATE << 11, [1, 0, records.length, 0]), encodeName(zone), u16(TYPE.SOA), u16(CLASS_IN), ...records]);
}

function tsigVariables(key: TsigKey, timeSigned: number, fudge: number, error: number, other: Buffer): Buffer {
  const alg = tsigAlgorithm(key.algorithm);
  const time = Buffer.alloc(6);
  time.writeUIntBE(timeSigned, 0, 6);
  return Buffer.concat([encodeName(key.name), u16(CLASS_ANY), u32(0), encodeName(alg.wire), time, u16(fudge), u16(error), u16(other.length), other]);
}

function keyBytes(key: TsigKey): Buffer {
  const bytes = Buffer.from(key.secret.trim(), 'base64');
  if (bytes.length === 0)
    throw new CertflowError(
      'DNS_BAD_TSIG_SECRET',
      `the TSIG secret of key "${key.name}" is not base64 (copy it from the "secret" line of the key file)`,
    );
  return bytes;
}

/** Appends a TSIG record (RFC 8945 section 4.3); returns the signed message and its MAC. */
export function signMessage(message: Buffer, key: TsigKey, now = Math.floor(Date.now() / 1000)): { message: Buffer; mac: Buffer } {
  const alg = tsigAlgorithm(key.algorithm);
  const fudge = 300;
  const mac = createHmac(alg.digest, keyBytes(key))
    .update(message)
    .update(tsigVariables(key, now, fudge, 0, Buffer.alloc(0)))
    .digest();
  const time = Buffer.alloc(6);
  time.writeUIntBE(now, 0, 6);
  const rdata = Buffer.concat([encodeName(alg.wire), time, u16(fudge), u16(mac.length), mac, message.subarray(0, 2), u16(0), u16(0)]);
  const signed = Buffer.concat([message, rr(key.name, TYPE.TSIG, CLASS_ANY, 0, rdata)]);
  signed.writeUInt16BE(signed.readUInt16BE(10) + 1, 10); // ARCOUNT
  return { message: signed, mac };
}

function readName(buf: Buffer, start: number): { name: string; next: number } {
  const labels: string[] = [];
  let offset = start;
  let next = -1;
  for (let hops = 0; hops < 64; hops += 1) {
    if (offset >= buf.length) throw new Error('name runs past the message');
    const len = buf[offset];
    if (len === 0) {
      if (next < 0) next = offset + 1;
      return { name: labels.join('.'), next };
    }
    if ((len & 0xc0) === 0xc0) {
      if (next < 0) next = offset + 2;
      offset = ((len & 0x3f) << 8) | buf[offset + 1];
      continue;
    }
    labels.push(buf.toString('latin1', offset + 1, offset + 1 + len));
    offset += 1 + len;
  }
  throw new Error('name compression loop');
}

function decodeRdata(buf: Buffer, type: number, start: number, length: number): string {
  const raw = buf.subarray(start, start + length);
  switch (type) {
    case TYPE.A:
      return [...raw].join('.');
    case TYPE.AAAA: {
      const groups: string[] = [];
      for (let i = 0; i + 1 < raw.length; i += 2) groups.push(raw.readUInt16BE(i).toString(16));
      return groups.join(':');
    }
    case TYPE.NS:
    case TYPE.CNAME:
    case TYPE.SOA:
      return readName(buf, start).name;
    case TYPE.TXT: {
      const parts: string[] = [];
      for (let i = 0; i < raw.length;) {
        const len = raw[i];
        parts.push(raw.toString('utf8', i + 1, i + 1 + len));
        i += 1 + len;
      }
      return parts.join('');
    }
    default:
      return '';
  }
}

/** Parses a DNS message (throws on a malformed one). */
export function parseMessage(buf: Buffer): DnsMessage {
  if (buf.length < 12) throw new Error('DNS message shorter than its header');
  const flags = buf.readUInt16BE(2);
  const counts = [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)];
  let offset = 12;
  for (let i = 0; i < counts[0]; i += 1) offset = readName(buf, offset).next + 4;
  const sections: ResourceRecord[][] = [[], [], []];
  let tsigError: number | undefined;
  let tsigMac: Buffer | undefined;
  let extendedRcode = 0;
  for (let s = 0; s < 3; s += 1) {
    for (let i = 0; i < counts[s + 1]; i += 1) {
      const { name, next } = readName(buf, offset);
      const type = buf.readUInt16BE(next);
      const klass = buf.readUInt16BE(next + 2);
      const ttl = buf.readUInt32BE(next + 4);
      const length = buf.readUInt16BE(next + 8);
      const dataStart = next + 10;
      if (dataStart + length > buf.length) throw new Error('record runs past the message');
      if (type === TYPE.TSIG) {
        const alg = readName(buf, dataStart);
        const macSize = buf.readUInt16BE(alg.next + 8);
        tsigMac = buf.subarray(alg.next + 10, alg.next + 10 + macSize);
        tsigError = buf.readUInt16BE(alg.next + 10 + macSize + 2);
      } else if (type === TYPE.OPT) {
        extendedRcode = ttl >>> 24;
      }
      sections[s].push({
        name: normalizeName(name),
        type,
        class: klass,
        ttl,
        data: normalizeIfName(type, decodeRdata(buf, type, dataStart, length)),
        raw: buf.subarray(dataStart, dataStart + length),
      });
      offset = dataStart + length;
    }
  }
  return {
    id: buf.readUInt16BE(0),
    rcode: (extendedRcode << 4) | (flags & 0x0f),
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    answers: sections[0],
    authority: sections[1],
    additional: sections[2],
    tsigError,
    tsigMac,
  };
}

function normalizeIfName(type: number, data: string): string {
  return type === TYPE.NS || type === TYPE.CNAME || type === TYPE.SOA ? normalizeName(data) : data;
}

/**
 * Checks the TSIG MAC of a signed response (RFC 8945 section 5.3): a forged "NOERROR" must not
 * pass for a done update. Returns false when the MAC does not match.
 */
export function verifyResponse(response: Buffer, requestMac: Buffer, key: TsigKey): boolean {
  // find the TSIG record: the last additional record
  const parsed = parseMessage(response);
  if (!parsed.tsigMac || parsed.tsigMac.length === 0) return false;
  let offset = 12;
  const counts = [response.readUInt16BE(4), response.readUInt16BE(6), response.readUInt16BE(8), response.readUInt16BE(10)];
  for (let i = 0; i < counts[0]; i += 1) offset = readName(response, offset).next + 4;
  const total = counts[1] + counts[2] + counts[3];
  let tsigStart = -1;
  for (let i = 0; i < total; i += 1) {
    const { next } = readName(response, offset);
    if (i === total - 1) tsigStart = offset;
    offset = next + 10 + response.readUInt16BE(next + 8);
  }
  const { next } = readName(response, tsigStart);
  const rdataStart = next + 10;
  const alg = readName(response, rdataStart);
  const timeSigned = response.readUIntBE(alg.next, 6);
  const fudge = response.readUInt16BE(alg.next + 6);
  const macSize = response.readUInt16BE(alg.next + 8);
  const mac = response.subarray(alg.next + 10, alg.next + 10 + macSize);
  const originalId = response.readUInt16BE(alg.next + 10 + macSize);
  const error = response.readUInt16BE(alg.next + 12 + macSize);
  const otherLen = response.readUInt16BE(alg.next + 14 + macSize);
  const other = response.subarray(alg.next + 16 + macSize, alg.next + 16 + macSize + otherLen);
  const unsigned = Buffer.from(response.subarray(0, tsigStart));
  unsigned.writeUInt16BE(originalId, 0);
  unsigned.writeUInt16BE(counts[3] - 1, 10);
  const expected = createHmac(tsigAlgorithm(key.algorithm).digest, keyBytes(key))
    .update(u16(requestMac.length))
    .update(requestMac)
    .update(unsigned)
    .update(tsigVariables(key, timeSigned, fudge, error, other))
    .digest();
  return expected.length === mac.length && timingSafeEqual(expected, mac);
}

/** Parses 'host', 'host:port', '[v6]:port' (default port 53). */
export function parseServer(text: string, defaultPort = 53): DnsServer {
  const t = text.trim();
  const v6 = t.match(/^\[([^\]]+)\](?::(\d+))?$/);
  if (v6) return { host: v6[1], port: v6[2] ? Number(v6[2]) : defaultPort };
  if (net.isIPv6(t)) return { host: t, port: defaultPort };
  const m = t.match(/^([^:]+)(?::(\d+))?$/);
  if (!m) throw new CertflowError('DNS_BAD_SERVER', `"${text}" is not a DNS server (use 192.0.2.53 or 192.0.2.53:5353)`);
  return { host: m[1], port: m[2] ? Number(m[2]) : defaultPort };
}

export function serverLabel(server: DnsServer): string {
  return net.isIPv6(server.host) ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
}

function exchangeUdp(server: DnsServer, message: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(net.isIPv6(server.host) ? 'udp6' : 'udp4');
    const id = message.readUInt16BE(0);
    const timer = setTimeout(
      () => finish(Object.assign(new Error(`no answer from ${serverLabel(server)} within ${timeoutMs} ms`), { code: 'ETIMEOUT' })),
      timeoutMs,
    );
    function finish(err?: Error, data?: Buffer) {
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve(data!);
    }
    socket.on('error', (err) => finish(err));
    socket.on('message', (data) => {
      if (data.length >= 2 && data.readUInt16BE(0) === id) finish(undefined, data);
    });
    socket.send(message, server.port, server.host);
  });
}

function exchangeTcp(server: DnsServer, message: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: server.host, port: server.port });
    let data = Buffer.alloc(0);
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(Object.assign(new Error(`no answer from ${serverLabel(server)} within ${timeoutMs} ms`), { code: 'ETIMEOUT' })),
    );
    socket.on('connect', () => socket.write(Buffer.concat([u16(message.length), message])));
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      if (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) {
        socket.end();
        resolve(data.subarray(2, 2 + data.readUInt16BE(0)));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`${serverLabel(server)} closed the TCP connection without an answer`)));
  });
}

/** Sends a message and returns the raw answer: UDP (2 tries), TCP when truncated or `tcp`. */
export async function exchange(server: DnsServer, message: Buffer, opts: { timeoutMs?: number; tcp?: boolean } = {}): Promise<Buffer> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  if (opts.tcp) return exchangeTcp(server, message, timeoutMs);
  let answer: Buffer | undefined;
  let lastError: unknown;
  for (let attempt = 0; attempt < 2 && !answer; attempt += 1) {
    try {
      answer = await exchangeUdp(server, message, timeoutMs);
    } catch (err) {
      lastError = err;
    }
  }
  if (!answer) throw lastError;
  if (answer.length > 3 && (answer.readUInt16BE(2) & 0x0200) !== 0) return exchangeTcp(server, message, timeoutMs);
  return answer;
}

/** One question to one server, parsed. */
export async function query(
  server: DnsServer,
  name: string,
  type: number,
  opts: { recursion?: boolean; timeoutMs?: number } = {},
): Promise<DnsMessage> {
  return parseMessage(await exchange(server, buildQuery(name, type, opts.recursion ?? true), { timeoutMs: opts.timeoutMs }));
}

export function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? `rcode ${rcode}`;
}
