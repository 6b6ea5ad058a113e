'use strict';
// Flow-building pieces shared by the tests that run the ACME nodes (in the test helper or a real
// Node-RED): the account config node for a Pebble from test/harness/pebble.js, the inject that
// asks for a renewal, the Node-RED HTTPS node, and example 13's wiring of the three.

/** The account config node for a Pebble instance (terms agreed unless told otherwise). */
function accountNode(pebble, extra = {}) {
  return {
    id: 'acct',
    type: 'certflow-acme-account',
    directory: 'custom',
    directoryUrl: pebble.directoryUrl,
    caPem: pebble.acmeCaPem,
    contact: 'admin@example.com',
    agreeTos: true,
    ...extra,
  };
}

/** An inject node on tab "tab" sending msg.renew = true to node "acme", as the renewal timer would. */
function renewInject(extra = {}) {
  return {
    id: 'renew',
    z: 'tab',
    type: 'inject',
    x: 100,
    y: 100,
    props: [{ p: 'renew', v: 'true', vt: 'bool' }],
    repeat: '',
    once: false,
    wires: [['acme']],
    ...extra,
  };
}

/** The Node-RED HTTPS node "https" on tab "tab": serves what it receives, stored in the node-red store. */
function httpsNode(extra = {}) {
  return { id: 'https', z: 'tab', type: 'certflow-https', x: 500, y: 100, store: 'node-red', serve: true, files: [], wires: [[]], ...extra };
}

/**
 * Example 13's wiring on tab "tab" (labelled `label`): the Pebble account, `injects` (the renew
 * inject unless told otherwise) into the ACME certificate node "acme" (`acme`: its settings
 * after x, y and account), whose certificates go to the Node-RED HTTPS node.
 */
function acmeHttpsFlow(pebble, label, acme, injects = [renewInject()]) {
  return [
    { id: 'tab', type: 'tab', label },
    accountNode(pebble),
    ...injects,
    { id: 'acme', z: 'tab', type: 'certflow-acme', x: 300, y: 100, account: 'acct', ...acme, wires: [['https'], []] },
    httpsNode(),
  ];
}

module.exports = { accountNode, renewInject, httpsNode, acmeHttpsFlow };
