'use strict';
// The rules the contract tests rely on, checked over the source: at most six runtime
// dependencies; nothing imported that package.json does not declare (a package that is only
// there because another one depends on it can vanish or change major with that one); and each
// dependency's non-public parts reached from its adapter file only.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { builtinModules } = require('node:module');

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

function sources(dir) {
  const out = [];
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(rel));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}
const files = ['lib', 'nodes', 'bin'].filter((d) => fs.existsSync(path.join(root, d))).flatMap(sources);
const text = new Map(files.map((f) => [f, fs.readFileSync(path.join(root, f), 'utf8')]));

test('at most six runtime dependencies; the optional Redis client stays a peer dependency', () => {
  const deps = Object.keys(pkg.dependencies ?? {});
  assert.ok(deps.length <= 6, `${deps.length} runtime dependencies (${deps.join(', ')}): the flow-library scorecard (D01) allows six`);
  assert.ok(!deps.includes('ioredis'), 'ioredis must stay an optional peer dependency, not a dependency');
  assert.equal(pkg.peerDependenciesMeta?.ioredis?.optional, true);
});

test('every package the source imports is declared in package.json', () => {
  const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {}), pkg.name]);
  const builtins = new Set(builtinModules);
  const problems = [];
  for (const [file, source] of text) {
    const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    for (const match of code.matchAll(/(?:^|\s)(import\s+(type\s+)?[^'";]*?from\s*|import\s*\(\s*|require\s*\(\s*|import\s+)'([^'`$]+)'/g)) {
      const specifier = match[3];
      if (specifier.startsWith('.') || specifier.startsWith('node:')) continue;
      const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
      if (builtins.has(name) || declared.has(name) || match[2]) continue; // type-only imports vanish at build
      problems.push(`${file}: imports '${specifier}', which package.json does not declare`);
    }
  }
  assert.deepEqual(problems, []);
});

/** [what, pattern, the one file allowed] */
const PRIVATE_PARTS = [
  [
    "acme-client's HttpClient/AcmeApi (Client#http, Client#api)",
    /\b\w*[cC]lient\)?\.(http|api)\b|as unknown as \{\s*(http|api)\s*:/,
    'lib/acme/acme-client-adapter.ts',
  ],
  ["acme-client's source files", /'acme-client\/(src|lib)/, null],
  ["@peculiar/x509's private asn fields", /\.asn\b|\{\s*asn\?*\s*:/, 'lib/pki/x509.ts'],
  ['@peculiar/x509 itself (loaded once, after reflect-metadata)', /from '@peculiar\/x509'|require\('@peculiar\/x509'\)/, 'lib/pki/x509.ts'],
  ["@peculiar/x509's build files", /'@peculiar\/x509\//, null],
];

test("each dependency's non-public parts are reached from its adapter file only", () => {
  const problems = [];
  for (const [what, pattern, allowed] of PRIVATE_PARTS) {
    for (const [file, source] of text) {
      if (file === allowed) continue;
      const lines = source.split('\n');
      lines.forEach((line, i) => {
        if (/^\s*(\*|\/\/)/.test(line)) return; // comments
        if (pattern.test(line)) problems.push(`${file}:${i + 1}: ${what} outside ${allowed ?? 'any file'}: ${line.trim()}`);
      });
    }
  }
  assert.deepEqual(problems, []);
});
