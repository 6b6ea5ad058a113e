/**
 * Shared helpers for certflow node files. Keep nodes thin: read config and msg with these,
 * call lib/, then send / status / done.
 *
 *   handleInput(node, async (msg, send) => { ...; send(msg) })   errors -> done(err) + red status
 *   evaluateProperty / evaluateText(RED, node, msg, typedConfig(config, 'cn'))   TypedInputs
 *   evaluateSecret(RED, node, msg, typedConfig(config, 'passphraseFrom', 'none'), 'passphrase')
 *   readBundle(msg.payload) / startBundle(msg.payload) / joinPem(blocks)          the bundle
 *   statusProgress / statusOk / statusWarning / statusProblem / statusError / statusClear
 */
export * from './bundle';
export * from './handle-input';
export * from './node-red';
export * from './properties';
export * from './status';
