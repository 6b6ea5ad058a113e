'use strict';
// The settings.js helper: `require('@certflow/node-red-certificates/settings').https({ name: 'node-red' })`
// gives Node-RED's `https` setting (see lib/serve/settings.ts). Built code lives in dist/.
module.exports = require('./dist/lib/serve/settings');
