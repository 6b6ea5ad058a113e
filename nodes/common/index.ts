/**
 * Shared helpers for certflow node files. Keep nodes thin: read config and msg with these,
 * call lib/, then send / status / done.
 *
 *   handleInput(node, async (msg, send) => { ...; send(msg) })   errors -> done(err) + red status
 *   evaluateProperty / evaluateText(RED, node, msg, typedConfig(config, 'cn'))   TypedInputs
 *   evaluateSecret(RED, node, msg, typedConfig(config, 'passphraseFrom', 'none'), 'passphrase')
 *   readBundle(msg.payload) / startBundle(msg.payload) / joinPem(blocks)          the bundle
 *   evaluateNumber / parseNumberSetting(value, { min, max, whole }, code, refusal)  numbers
 *   checkInputShape(value, source)   depth and size limits on what a msg or context gives
 *   readFileWithLimits(path, { maxBytes, timeoutMs, text })   a file a flow names
 *   hasAnyPermission(req, ['x.write', 'flows.write'])         admin routes
 *   asyncRoute(async (req, res) => { ... })                    an Express route that awaits
 *   requiredProblem(RED, type, config)   a field the dialog requires is empty (same table as the editor)
 *   statusProgress / statusOk / statusWarning / statusProblem / statusError / statusClear
 */
export * from './admin-permissions';
export * from './admin-route';
export * from './bundle';
export * from './handle-input';
export * from './input-limits';
export * from './node-red';
export * from './number-setting';
export * from './properties';
export * from './read-file';
export * from './required';
export * from './status';
