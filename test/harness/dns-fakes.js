'use strict';
// Local stand-ins for the cloud DNS APIs the tests cannot reach, each following its
// provider's documented API (the page is named above each fake): paths, auth headers, bodies,
// pagination, error bodies, rate-limit answers. What a fake accepts it "publishes" into a real
// BIND (harness/bind.js) through nsupdate, `lateMs` later when asked to (a provider that
// accepts a write but serves it late), so the propagation check runs against real DNS.
// All on 127.0.0.1.
const http = require('node:http');
const { createHash, createHmac, randomUUID } = require('node:crypto');

function listen(handler) {
  return new Promise((resolve) => {
    const server = http.createServer(async (req, res) => {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      req.body = Buffer.concat(chunks).toString('utf8');
      try {
        await handler(req, res);
      } catch (err) {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(String(err && err.stack));
      }
    });
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** What every fake shares: request log, publishing to BIND, "rate limit the next request", lateness. */
async function base(bind, handler) {
  const fake = { requests: [], lateMs: 0, rateLimited: 0, values: new Map(), publishing: new Set() };
  /** name -> values as the provider now holds them; BIND gets them lateMs later. */
  const timers = new Map(); // name -> the publication still waiting (a newer one replaces it)
  fake.hold = (name, values) => {
    const key = name.toLowerCase().replace(/\.$/, '');
    fake.values.set(key, [...values]);
    const previous = timers.get(key);
    if (previous) {
      clearTimeout(previous.timer);
      previous.resolve();
    }
    const job = new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(key);
        bind.setTxt(key, fake.values.get(key) || []).then(resolve, resolve);
      }, fake.lateMs);
      timers.set(key, { timer, resolve });
    });
    fake.publishing.add(job);
    job.finally(() => fake.publishing.delete(job)).catch(() => undefined);
    return job;
  };
  /** Resolves when everything accepted so far is in BIND. */
  fake.settled = () => Promise.allSettled([...fake.publishing]);
  const server = await listen(async (req, res) => {
    const url = new URL(req.url, 'http://fake');
    fake.requests.push({
      method: req.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: req.body,
      at: Date.now(),
    });
    await handler(req, res, url, fake);
  });
  fake.url = `http://127.0.0.1:${server.address().port}`;
  fake.close = () =>
    new Promise((r) => {
      for (const t of timers.values()) {
        clearTimeout(t.timer);
        t.resolve();
      }
      server.close(() => r());
      server.closeAllConnections();
    });
  return fake;
}

function json(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

// ---------------------------------------------------------------------------------------------
// Cloudflare API v4.
// https://developers.cloudflare.com/api/resources/zones/methods/list/
// https://developers.cloudflare.com/api/resources/dns/subresources/records/methods/create/
// https://developers.cloudflare.com/api/resources/dns/subresources/records/methods/list/
// https://developers.cloudflare.com/api/resources/dns/subresources/records/methods/delete/
// https://developers.cloudflare.com/fundamentals/api/reference/limits/ (429, Retry-After, code 971)
// https://developers.cloudflare.com/fundamentals/api/troubleshooting/ (10000 Authentication error)
async function fakeCloudflare(bind, { token, zones }) {
  const zoneList = zones.map((name, i) => ({ id: `zone${i}${'0'.repeat(26)}`, name, status: 'active' }));
  const records = new Map(); // id -> {id, zone_id, type, name, content, ttl}
  const envelope = (result, extra = {}) => ({ success: true, errors: [], messages: [], result, ...extra });
  const fail = (res, status, code, message, headers) =>
    json(res, status, { success: false, errors: [{ code, message }], messages: [], result: null }, headers);
  const publish = (fake, name) =>
    fake.hold(
      name,
      [...records.values()].filter((r) => r.name === name).map((r) => r.content),
    );
  return base(bind, async (req, res, url, fake) => {
    if (fake.rateLimited > 0) {
      fake.rateLimited -= 1;
      return fail(res, 429, 971, 'Please wait and consider throttling your request speed', { 'Retry-After': '1' });
    }
    if (req.headers.authorization !== `Bearer ${token}`) return fail(res, 403, 10000, 'Authentication error');
    const p = url.pathname.replace(/^\/client\/v4/, '');
    let m;
    if (req.method === 'GET' && p === '/zones') {
      const name = url.searchParams.get('name');
      const perPage = Number(url.searchParams.get('per_page') || 20);
      const page = Number(url.searchParams.get('page') || 1);
      const all = zoneList.filter((z) => !name || z.name === name);
      const slice = all.slice((page - 1) * perPage, page * perPage);
      return json(
        res,
        200,
        envelope(slice, {
          result_info: {
            page,
            per_page: perPage,
            count: slice.length,
            total_count: all.length,
            total_pages: Math.max(1, Math.ceil(all.length / perPage)),
          },
        }),
      );
    }
    if ((m = p.match(/^\/zones\/([^/]+)\/dns_records$/))) {
      const zone = zoneList.find((z) => z.id === m[1]);
      if (!zone) return fail(res, 404, 7003, 'Could not route to /zones/..., perhaps your object identifier is invalid?');
      if (req.method === 'POST') {
        const body = JSON.parse(req.body);
        if (body.type !== 'TXT' || !body.name || !body.content) return fail(res, 400, 9005, 'Content for TXT record is invalid');
        const record = {
          id: randomUUID().replace(/-/g, ''),
          zone_id: zone.id,
          zone_name: zone.name,
          type: 'TXT',
          name: body.name,
          content: body.content,
          ttl: body.ttl,
        };
        records.set(record.id, record);
        publish(fake, record.name);
        return json(res, 200, envelope(record));
      }
      if (req.method === 'GET') {
        const list = [...records.values()].filter(
          (r) => r.zone_id === zone.id && (!url.searchParams.get('name') || r.name === url.searchParams.get('name')),
        );
        return json(
          res,
          200,
          envelope(list, { result_info: { page: 1, per_page: 100, count: list.length, total_count: list.length, total_pages: 1 } }),
        );
      }
    }
    if (req.method === 'DELETE' && (m = p.match(/^\/zones\/([^/]+)\/dns_records\/([^/]+)$/))) {
      const record = records.get(m[2]);
      if (!record) return fail(res, 404, 81044, 'Record does not exist.');
      records.delete(m[2]);
      publish(fake, record.name);
      return json(res, 200, envelope({ id: m[2] }));
    }
    return fail(res, 404, 7000, 'No route for that URI');
  });
}

// ---------------------------------------------------------------------------------------------
// DuckDNS.  https://www.duckdns.org/spec.jsp
// GET /update?domains=<sub>&token=<token>&txt=<value>[&clear=true][&verbose=true] -> 200 "OK" | "KO".
// One TXT value per domain, served for the domain and every name under it.
async function fakeDuckDns(bind, { token, domains }) {
  const current = new Map(); // sub -> value
  const fake = await base(bind, async (req, res, url, f) => {
    const q = url.searchParams;
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    if (url.pathname !== '/update' || q.get('token') !== token) return res.end('KO');
    const sub = String(q.get('domains') || '').replace(/\.duckdns\.org$/, '');
    if (!domains.includes(sub) || !q.has('txt')) return res.end('KO');
    if (q.get('clear') === 'true') current.delete(sub);
    else {
      if (current.has(sub) && current.get(sub) !== q.get('txt')) f.overwrites += 1;
      current.set(sub, q.get('txt'));
      f.maxValues = Math.max(f.maxValues, 1);
    }
    const values = current.has(sub) ? [current.get(sub)] : [];
    f.history.push([sub, q.get('clear') === 'true' ? 'clear' : 'set', q.get('txt')]);
    f.hold(`_acme-challenge.${sub}.duckdns.org`, values);
    res.end(q.get('verbose') === 'true' ? `OK\n${values[0] || ''}\n\nUPDATED` : 'OK');
  });
  fake.overwrites = 0;
  fake.maxValues = 0;
  fake.history = [];
  return fake;
}

// ---------------------------------------------------------------------------------------------
// deSEC.  https://desec.readthedocs.io/en/latest/dns/domains.html (list, ?owns_qname=, Link pagination)
//         https://desec.readthedocs.io/en/latest/dns/rrsets.html (retrieve one RRset, bulk PATCH, TXT quoting,
//         records [] deletes, TTL >= the domain's minimum_ttl)
//         https://desec.readthedocs.io/en/latest/rate-limits.html (429 + Retry-After)
//         https://desec.readthedocs.io/en/latest/auth/tokens.html (Authorization: Token ..., 401 "Invalid token.")
async function fakeDesec(bind, { token, domains, pageSize = 2 }) {
  const rrsets = new Map(); // `${domain}|${subname}` -> {ttl, records}
  return base(bind, async (req, res, url, fake) => {
    if (fake.rateLimited > 0) {
      fake.rateLimited -= 1;
      return json(res, 429, { detail: 'Request was throttled. Expected available in 1 second.' }, { 'Retry-After': '1' });
    }
    if (req.headers.authorization !== `Token ${token}`) return json(res, 401, { detail: 'Invalid token.' });
    const p = url.pathname.replace(/^\/api\/v1/, '');
    let m;
    if (req.method === 'GET' && p === '/domains/') {
      const qname = url.searchParams.get('owns_qname');
      if (qname) {
        const owner = domains.filter((d) => qname === d || qname.endsWith(`.${d}`)).sort((a, b) => b.length - a.length)[0];
        return json(res, 200, owner ? [{ name: owner, minimum_ttl: 3600 }] : []);
      }
      const start = Number(url.searchParams.get('cursor') || 0);
      const page = domains.slice(start, start + pageSize).map((name) => ({ name, minimum_ttl: 3600 }));
      const headers = start + pageSize < domains.length ? { Link: `<${fake.url}/api/v1/domains/?cursor=${start + pageSize}>; rel="next"` } : {};
      return json(res, 200, page, headers);
    }
    if (req.method === 'GET' && (m = p.match(/^\/domains\/([^/]+)\/rrsets\/([^/]+)\/TXT\/$/))) {
      const sub = m[2] === '@' ? '' : m[2];
      const set = rrsets.get(`${m[1]}|${sub}`);
      if (!domains.includes(m[1]) || !set) return json(res, 404, { detail: 'Not found.' });
      return json(res, 200, { domain: m[1], subname: sub, name: `${sub ? `${sub}.` : ''}${m[1]}.`, type: 'TXT', ttl: set.ttl, records: set.records });
    }
    if (req.method === 'PATCH' && (m = p.match(/^\/domains\/([^/]+)\/rrsets\/$/))) {
      if (!domains.includes(m[1])) return json(res, 404, { detail: 'Not found.' });
      const body = JSON.parse(req.body);
      for (const r of body) {
        if (r.ttl < 3600) return json(res, 400, [{ ttl: ['Ensure this value is greater than or equal to 3600.'] }]);
        if (r.records.some((v) => !/^".*"$/.test(v))) return json(res, 400, [{ records: ['TXT records must be quoted.'] }]);
      }
      for (const r of body) {
        const key = `${m[1]}|${r.subname}`;
        if (r.records.length) rrsets.set(key, { ttl: r.ttl, records: r.records });
        else rrsets.delete(key);
        fake.hold(
          `${r.subname ? `${r.subname}.` : ''}${m[1]}`,
          r.records.map((v) => v.replace(/^"|"$/g, '')),
        );
      }
      return json(res, 200, body);
    }
    return json(res, 404, { detail: 'Not found.' });
  });
}

// ---------------------------------------------------------------------------------------------
// acme-dns.  https://github.com/joohoi/acme-dns#api
// POST /register -> 201 {username, password, fulldomain, subdomain, allowfrom}
// POST /update (X-Api-User, X-Api-Key; {subdomain, txt}) -> 200 {txt}; 401 {"error":"forbidden"};
// 400 {"error":"bad_txt"} / {"error":"bad_subdomain"}. Keeps the two latest values; no delete.
async function fakeAcmeDns(bind, { zone }) {
  const accounts = new Map(); // username -> {password, subdomain, values}
  const fake = await base(bind, async (req, res, url, f) => {
    if (req.method === 'POST' && url.pathname === '/register') {
      const account = {
        username: randomUUID(),
        password: createHash('sha256').update(randomUUID()).digest('base64url').slice(0, 40),
        subdomain: randomUUID(),
        values: [],
      };
      accounts.set(account.username, account);
      return json(res, 201, {
        username: account.username,
        password: account.password,
        fulldomain: `${account.subdomain}.${zone}`,
        subdomain: account.subdomain,
        allowfrom: [],
      });
    }
    if (req.method === 'POST' && url.pathname === '/update') {
      const account = accounts.get(req.headers['x-api-user']);
      if (!account || account.password !== req.headers['x-api-key']) return json(res, 401, { error: 'forbidden' });
      const body = JSON.parse(req.body || '{}');
      if (body.subdomain !== account.subdomain) return json(res, 401, { error: 'forbidden' });
      if (typeof body.txt !== 'string' || body.txt.length !== 43) return json(res, 400, { error: 'bad_txt' });
      account.values = [...account.values, body.txt].slice(-2);
      f.hold(`${account.subdomain}.${zone}`, account.values);
      return json(res, 200, { txt: body.txt });
    }
    return json(res, 404, { error: 'not found' });
  });
  fake.zone = zone;
  return fake;
}

// ---------------------------------------------------------------------------------------------
// Amazon Route 53 (REST API 2013-04-01, XML).
// https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHostedZonesByName.html
// https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListResourceRecordSets.html
// https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html
// https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetChange.html
// https://docs.aws.amazon.com/Route53/latest/APIReference/CommonErrors.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html (checked here by
// an implementation of its own, independent of lib/'s signer)
async function fakeRoute53(bind, { accessKeyId, secretAccessKey, zones }) {
  const XMLNS = 'https://route53.amazonaws.com/doc/2013-04-01/';
  const hosted = zones.map((name, i) => ({ id: `Z0${i}FAKE${i}ZONE`, name: `${name}.` }));
  const sets = new Map(); // `${zoneId}|${name}` -> {ttl, values}
  const changes = new Map(); // id -> {polls, name, zoneId}
  const error = (res, status, code, message) => {
    res.writeHead(status, { 'Content-Type': 'text/xml' });
    res.end(
      `<?xml version="1.0"?>\n<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
    );
  };
  const xml = (res, body) => {
    res.writeHead(200, { 'Content-Type': 'text/xml' });
    res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
  };
  function checkSignature(req, url) {
    const auth = req.headers.authorization || '';
    const m = auth.match(
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/,
    );
    if (!m) return 'IncompleteSignature';
    if (m[1] !== accessKeyId) return 'InvalidClientTokenId';
    const enc = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
    const query = [...url.searchParams]
      .map(([k, v]) => `${enc(k)}=${enc(v)}`)
      .sort()
      .join('&');
    const signed = m[5].split(';');
    const canonical = [
      req.method,
      url.pathname,
      query,
      ...signed.map((h) => `${h}:${String(req.headers[h]).trim()}`),
      '',
      m[5],
      createHash('sha256').update(req.body).digest('hex'),
    ].join('\n');
    const amzDate = req.headers['x-amz-date'];
    const scope = `${m[2]}/${m[3]}/${m[4]}/aws4_request`;
    const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
    let k = createHmac('sha256', `AWS4${secretAccessKey}`).update(m[2]).digest();
    for (const part of [m[3], m[4], 'aws4_request']) k = createHmac('sha256', k).update(part).digest();
    const signature = createHmac('sha256', k).update(toSign).digest('hex');
    return signature === m[6] && m[4] === 'route53' ? undefined : 'SignatureDoesNotMatch';
  }
  const fake = await base(bind, async (req, res, url, f) => {
    if (f.rateLimited > 0) {
      f.rateLimited -= 1;
      return error(res, 400, 'Throttling', 'Rate exceeded');
    }
    const bad = checkSignature(req, url);
    if (bad)
      return error(
        res,
        403,
        bad,
        bad === 'InvalidClientTokenId'
          ? 'The security token included in the request is invalid.'
          : 'The request signature we calculated does not match the signature you provided.',
      );
    const p = url.pathname;
    let m;
    if (req.method === 'GET' && p === '/2013-04-01/hostedzonesbyname') {
      const want = url.searchParams.get('dnsname');
      const max = Number(url.searchParams.get('maxitems') || 100);
      const rev = (n) => n.replace(/\.$/, '').split('.').reverse().join('.');
      const sorted = [...hosted].sort((a, b) => (rev(a.name) < rev(b.name) ? -1 : 1));
      const from = want ? sorted.filter((z) => rev(z.name) >= rev(want)) : sorted;
      const page = from.slice(0, max);
      const zonesXml = page
        .map(
          (z) =>
            `<HostedZone><Id>/hostedzone/${z.id}</Id><Name>${z.name}</Name><CallerReference>ref</CallerReference><Config><PrivateZone>false</PrivateZone></Config><ResourceRecordSetCount>2</ResourceRecordSetCount></HostedZone>`,
        )
        .join('');
      const truncated = from.length > max;
      return xml(
        res,
        `<ListHostedZonesByNameResponse xmlns="${XMLNS}"><HostedZones>${zonesXml}</HostedZones>${want ? `<DNSName>${want}</DNSName>` : ''}<IsTruncated>${truncated}</IsTruncated>${truncated ? `<NextDNSName>${from[max].name}</NextDNSName><NextHostedZoneId>${from[max].id}</NextHostedZoneId>` : ''}<MaxItems>${max}</MaxItems></ListHostedZonesByNameResponse>`,
      );
    }
    if ((m = p.match(/^\/2013-04-01\/hostedzone\/([^/]+)\/rrset\/?$/))) {
      const zone = hosted.find((z) => z.id === m[1]);
      if (!zone) return error(res, 404, 'NoSuchHostedZone', `No hosted zone found with ID: ${m[1]}`);
      if (req.method === 'GET') {
        const name = (url.searchParams.get('name') || '').toLowerCase();
        const list = [...sets.entries()].filter(([k]) => k.startsWith(`${zone.id}|`) && k.split('|')[1] >= name).sort();
        const body = list
          .slice(0, 1)
          .map(
            ([k, s]) =>
              `<ResourceRecordSet><Name>${k.split('|')[1]}</Name><Type>TXT</Type><TTL>${s.ttl}</TTL><ResourceRecords>${s.values.map((v) => `<ResourceRecord><Value>&quot;${v}&quot;</Value></ResourceRecord>`).join('')}</ResourceRecords></ResourceRecordSet>`,
          )
          .join('');
        return xml(
          res,
          `<ListResourceRecordSetsResponse xmlns="${XMLNS}"><ResourceRecordSets>${body}</ResourceRecordSets><IsTruncated>false</IsTruncated><MaxItems>1</MaxItems></ListResourceRecordSetsResponse>`,
        );
      }
      if (req.method === 'POST') {
        const action = req.body.match(/<Action>(\w+)<\/Action>/)?.[1];
        const name = req.body.match(/<ResourceRecordSet><Name>([^<]+)<\/Name>/)?.[1]?.toLowerCase();
        const ttl = Number(req.body.match(/<TTL>(\d+)<\/TTL>/)?.[1]);
        const values = [...req.body.matchAll(/<Value>([^<]*)<\/Value>/g)].map((v) => v[1].replace(/&quot;/g, '"'));
        if (!name || !name.endsWith(zone.name))
          return error(res, 400, 'InvalidChangeBatch', `RRSet with DNS name ${name} is not permitted in zone ${zone.name}`);
        if (values.some((v) => !/^".*"$/.test(v)))
          return error(
            res,
            400,
            'InvalidChangeBatch',
            'Invalid Resource Record: FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks)',
          );
        const key = `${zone.id}|${name}`;
        const plain = values.map((v) => v.slice(1, -1));
        if (action === 'UPSERT') sets.set(key, { ttl, values: plain });
        else if (action === 'DELETE') {
          const cur = sets.get(key);
          if (!cur || cur.ttl !== ttl || cur.values.join('|') !== plain.join('|'))
            return error(
              res,
              400,
              'InvalidChangeBatch',
              `Tried to delete resource record set [name='${name}', type='TXT'] but the values provided do not match the current values`,
            );
          sets.delete(key);
        } else return error(res, 400, 'InvalidInput', 'Invalid action');
        const id = `C${randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase()}`;
        changes.set(id, { polls: 0, name: name.replace(/\.$/, ''), values: sets.get(key)?.values ?? [] });
        return xml(
          res,
          `<ChangeResourceRecordSetsResponse xmlns="${XMLNS}"><ChangeInfo><Id>/change/${id}</Id><Status>PENDING</Status><SubmittedAt>${new Date().toISOString()}</SubmittedAt></ChangeInfo></ChangeResourceRecordSetsResponse>`,
        );
      }
    }
    if (req.method === 'GET' && (m = p.match(/^\/2013-04-01\/change\/([^/]+)$/))) {
      const change = changes.get(m[1]);
      if (!change) return error(res, 404, 'NoSuchChange', `A change with the specified change ID does not exist.`);
      change.polls += 1;
      // INSYNC: Route 53's own servers have it; a late provider's DNS shows it lateMs after that
      if (change.polls === 1) f.hold(change.name, change.values);
      return xml(
        res,
        `<GetChangeResponse xmlns="${XMLNS}"><ChangeInfo><Id>/change/${m[1]}</Id><Status>${change.polls >= 1 ? 'INSYNC' : 'PENDING'}</Status><SubmittedAt>${new Date().toISOString()}</SubmittedAt></ChangeInfo></GetChangeResponse>`,
      );
    }
    return error(res, 404, 'NotFound', 'no such resource');
  });
  return fake;
}

// ---------------------------------------------------------------------------------------------
// Hetzner Cloud API, DNS (zones and RRsets).
// https://docs.hetzner.cloud/reference/cloud#zones (GET /v1/zones?name=, meta.pagination)
// https://docs.hetzner.cloud/reference/cloud#zone-rrsets (GET /v1/zones/{id_or_name}/rrsets/{rr_name}/{rr_type},
//   POST .../actions/add_records, .../actions/remove_records; TXT values quoted)
// https://docs.hetzner.cloud/reference/cloud#actions (GET /v1/actions/{id}: running -> success)
// https://docs.hetzner.cloud/reference/cloud#overview (errors {error: {code, message, details}},
//   rate limiting: 429 rate_limit_exceeded with RateLimit-Limit/-Remaining/-Reset headers)
async function fakeHetzner(bind, { token, zones }) {
  const zoneList = zones.map((name, i) => ({ id: 1000 + i, name, mode: 'primary', ttl: 3600 }));
  const rrsets = new Map(); // `${zoneId}|${rrName}` -> {ttl, records: [{value}]}
  const actions = new Map(); // id -> {polls, done}
  let nextAction = 1;
  const fail = (res, status, code, message, headers) => json(res, status, { error: { code, message, details: {} } }, headers);
  return base(bind, async (req, res, url, fake) => {
    if (fake.rateLimited > 0) {
      fake.rateLimited -= 1;
      return fail(res, 429, 'rate_limit_exceeded', 'limit of 3600 requests per hour reached', {
        'RateLimit-Limit': '3600',
        'RateLimit-Remaining': '0',
        'RateLimit-Reset': String(Math.ceil((Date.now() + 1000) / 1000)),
      });
    }
    if (req.headers.authorization !== `Bearer ${token}`) return fail(res, 401, 'unauthorized', 'unable to authenticate');
    const p = url.pathname.replace(/^\/v1/, '');
    let m;
    if (req.method === 'GET' && p === '/zones') {
      const name = url.searchParams.get('name');
      const perPage = Number(url.searchParams.get('per_page') || 25);
      const page = Number(url.searchParams.get('page') || 1);
      const all = zoneList.filter((z) => !name || z.name === name);
      const last = Math.max(1, Math.ceil(all.length / perPage));
      return json(res, 200, {
        zones: all.slice((page - 1) * perPage, page * perPage),
        meta: {
          pagination: {
            page,
            per_page: perPage,
            previous_page: page > 1 ? page - 1 : null,
            next_page: page < last ? page + 1 : null,
            last_page: last,
            total_entries: all.length,
          },
        },
      });
    }
    if ((m = p.match(/^\/zones\/([^/]+)\/rrsets\/([^/]+)\/TXT(\/actions\/(add_records|remove_records))?$/))) {
      const zone = zoneList.find((z) => String(z.id) === m[1] || z.name === m[1]);
      if (!zone) return fail(res, 404, 'not_found', 'zone not found');
      const rrName = decodeURIComponent(m[2]);
      const key = `${zone.id}|${rrName}`;
      const fqdn = rrName === '@' ? zone.name : `${rrName}.${zone.name}`;
      if (req.method === 'GET' && !m[3]) {
        const set = rrsets.get(key);
        if (!set) return fail(res, 404, 'not_found', 'rrset not found');
        return json(res, 200, { rrset: { id: `${rrName}/TXT`, name: rrName, type: 'TXT', ttl: set.ttl, records: set.records, zone: zone.id } });
      }
      if (req.method === 'POST' && m[3]) {
        const body = JSON.parse(req.body);
        if (!Array.isArray(body.records) || body.records.some((r) => !/^".*"$/.test(r.value)))
          return fail(res, 422, 'invalid_input', "invalid input in field 'records': TXT record values must be quoted");
        const set = rrsets.get(key) ?? { ttl: body.ttl ?? zone.ttl, records: [] };
        if (m[4] === 'add_records')
          set.records.push(
            ...body.records.filter((r) => !set.records.some((x) => x.value === r.value)).map((r) => ({ value: r.value, comment: r.comment ?? '' })),
          );
        else {
          if (!rrsets.has(key)) return fail(res, 404, 'not_found', 'rrset not found');
          set.records = set.records.filter((x) => !body.records.some((r) => r.value === x.value));
        }
        if (set.records.length) rrsets.set(key, set);
        else rrsets.delete(key);
        const id = nextAction++;
        actions.set(id, { polls: 0, fqdn, values: set.records.map((r) => r.value.slice(1, -1)) });
        return json(res, 201, {
          action: {
            id,
            command: m[4] === 'add_records' ? 'add_rrset_records' : 'remove_rrset_records',
            status: 'running',
            progress: 0,
            started: new Date().toISOString(),
            finished: null,
            resources: [{ id: zone.id, type: 'zone' }],
            error: null,
          },
        });
      }
    }
    if (req.method === 'GET' && (m = p.match(/^\/actions\/(\d+)$/))) {
      const action = actions.get(Number(m[1]));
      if (!action) return fail(res, 404, 'not_found', 'action not found');
      action.polls += 1;
      if (action.polls === 1) fake.hold(action.fqdn, action.values);
      return json(res, 200, {
        action: {
          id: Number(m[1]),
          command: 'add_rrset_records',
          status: 'success',
          progress: 100,
          started: new Date().toISOString(),
          finished: new Date().toISOString(),
          resources: [],
          error: null,
        },
      });
    }
    return fail(res, 404, 'not_found', 'not found');
  });
}

module.exports = { fakeCloudflare, fakeDuckDns, fakeDesec, fakeAcmeDns, fakeRoute53, fakeHetzner };
