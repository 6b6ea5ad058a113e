/**
 * Editor helpers shared by every certflow node's dialog: the checks a dialog runs as the user
 * types (the same rules as lib/names.ts, so a name the runtime would refuse shows as invalid
 * at once) and small dialog utilities.
 *
 * Node-RED serves a module's resources/ folder at resources/<module>/<file>; each node's .html
 * loads this file with a <script src> before its own script runs. All seven .html files load
 * it, so it defines window.certflowEditor once and keeps the first definition.
 *
 * Checks return '' (or null) when the value is fine, else a reason code; the node's .html turns
 * the code into a sentence from its own message catalogue (locales/en-US/<type>.json,
 * `validation.reason.<code>`). Validators built here take (v, opt): Node-RED 4 counts a
 * returned string as "invalid, because ..." only from a validator declared with two arguments.
 *
 * REQUIRED (below) is the one table of fields a node cannot work without: the dialogs check it
 * as the user types, and the runtime loads this same file (nodes/common/required.ts) to turn
 * the node's status red at deploy and refuse a message with the same reason.
 */
(function (global) {
    'use strict';
    if (global && global.certflowEditor) { return; }

    var LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;
    var IDN_LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?$/u;
    var EMAIL_LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
    // Host names to connect to (inspect a live server): "_" is common in internal names there.
    var HOST = /^(\[[0-9a-f:.]+\]|[0-9a-f:]+:[0-9a-f:.]*|(\d{1,3}\.){3}\d{1,3}|[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?)$/i;
    // A folder name in <userDir>/certificates/ (lib/store.ts) or an ACME certificate name.
    var FOLDER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

    function text(v) {
        return v === undefined || v === null ? '' : String(v).trim();
    }

    // ------------------------------------------------------------------ names (lib/names.ts)

    function isIpv4(t) {
        var parts = t.split('.');
        return parts.length === 4 && parts.every(function (p) { return /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255; });
    }

    function isIpv6(t) {
        var tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(t);
        if (tail) {
            if (!isIpv4(tail[1])) { return false; }
            t = t.slice(0, -tail[1].length) + '0:0';
        }
        var halves = t.split('::');
        if (halves.length > 2) { return false; }
        var split = function (s) { return s === '' ? [] : s.split(':'); };
        var groups = split(halves[0]).concat(halves.length === 2 ? split(halves[1]) : []);
        if (!groups.every(function (g) { return /^[0-9a-f]{1,4}$/i.test(g); })) { return false; }
        return halves.length === 2 ? groups.length < 8 : groups.length === 8;
    }

    /** An IPv4 or IPv6 address (brackets allowed): '' or 'ip'. */
    function validateIpAddress(value) {
        var t = text(value);
        if (t.charAt(0) === '[' && t.charAt(t.length - 1) === ']') { t = t.slice(1, -1); }
        return isIpv4(t) || isIpv6(t) ? '' : 'ip';
    }

    /**
     * A DNS name for a certificate: '' or why not (empty, space, wildcard, emptyLabel,
     * longLabel, underscore, characters, digitsLast, wildcardShort, tooLong).
     * opt.allowWildcard (default true): "*.example.com" allowed.
     */
    function validateDnsName(value, opt) {
        var allowWildcard = !opt || opt.allowWildcard !== false;
        var t = value === undefined || value === null ? '' : String(value).trim();
        if (t === '') { return 'empty'; }
        if (/\s/.test(t)) { return 'space'; }
        if (t.length > 1 && t.charAt(t.length - 1) === '.') { t = t.slice(0, -1); }
        var wildcard = t.indexOf('*.') === 0;
        if (wildcard) {
            if (!allowWildcard) { return 'wildcard'; }
            t = t.slice(2);
        }
        if (t.indexOf('*') >= 0) { return 'wildcard'; }
        var labels = t.split('.');
        for (var i = 0; i < labels.length; i++) {
            if (labels[i] === '') { return 'emptyLabel'; }
            if (labels[i].length > 63) { return 'longLabel'; }
            if (!LDH_LABEL.test(labels[i]) && !IDN_LABEL.test(labels[i])) {
                return labels[i].indexOf('_') >= 0 ? 'underscore' : 'characters';
            }
        }
        if (labels.length > 1 && /^\d+$/.test(labels[labels.length - 1])) { return 'digitsLast'; }
        if (wildcard && labels.length < 2) { return 'wildcardShort'; }
        if (t.length > 253) { return 'tooLong'; }
        return '';
    }

    /** An e-mail address: '' or 'email'. */
    function validateEmail(value) {
        var t = text(value);
        var at = t.lastIndexOf('@');
        if (at <= 0 || at === t.length - 1) { return 'email'; }
        var local = t.slice(0, at);
        if (local.length > 64 || !EMAIL_LOCAL.test(local)) { return 'email'; }
        var domain = t.slice(at + 1);
        return validateDnsName(domain, { allowWildcard: false }) === '' ? '' : 'email';
    }

    /** A URI with a scheme (https://..., urn:..., spiffe://...): '' or 'uri'. */
    function validateUri(value) {
        var t = text(value);
        if (!/^[A-Za-z][A-Za-z0-9+.-]*:[\x21-\x7e]+$/.test(t)) { return 'uri'; }
        try { new URL(t); return ''; } catch (e) { return 'uri'; }
    }

    /** One alternative name - DNS name, IP, e-mail or URI, optionally written "DNS:...", "IP:...": '' or why not. */
    function validateAltName(value) {
        var given = text(value);
        var prefix = /^(dns|ip|ip address|email|e-mail|rfc822|uri|url)\s*:\s*/i.exec(given);
        if (prefix) {
            var rest = given.slice(prefix[0].length);
            var kind = prefix[1].toLowerCase();
            if (kind === 'dns') { return validateDnsName(rest); }
            if (kind.indexOf('ip') === 0) { return validateIpAddress(rest); }
            if (kind === 'uri' || kind === 'url') { return validateUri(rest); }
            return validateEmail(rest);
        }
        if (validateIpAddress(given) === '') { return ''; }
        if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(given) || /^(urn|tag|did|mailto|spiffe):/i.test(given)) { return validateUri(given); }
        if (given.indexOf('@') >= 0) { return validateEmail(given); }
        if (/^[\d.]+$/.test(given) && given.indexOf('.') >= 0) { return 'ip'; }
        if (/^[0-9a-f:]+$/i.test(given) && given.split(':').length > 2) { return 'ip'; }
        return validateDnsName(given);
    }

    /** The first name of a list that `check` refuses, as { name, reason }, or null. */
    function firstProblem(names, check) {
        for (var i = 0; i < names.length; i++) {
            var reason = check(names[i]);
            if (reason) { return { name: names[i], reason: reason }; }
        }
        return null;
    }

    /** A list separated by commas, spaces, semicolons or new lines (as lib/names parseAltNames): null or { name, reason }. */
    function validateAltNames(value) {
        var names = text(value).split(/[\s,;]+/).filter(function (n) { return n !== ''; });
        return firstProblem(names, validateAltName);
    }

    /** A common name: free text ("My Device") unless it looks like a host name, address or e-mail. */
    function validateCommonName(value) {
        var cn = text(value);
        if (cn === '' || !/[.:@]/.test(cn)) { return null; }
        var reason = validateAltName(cn);
        return reason ? { name: cn, reason: reason } : null;
    }

    /**
     * What an ACME order can hold: DNS names (wildcards too) and IP addresses, separated by
     * commas, semicolons or new lines as the ACME node splits them ("exa mple.com" is one bad
     * name, not two good ones): null or { name, reason }.
     */
    function validateAcmeIdentifiers(value) {
        var names = text(value).split(/[,;\n]+/).map(function (n) { return n.trim(); }).filter(function (n) { return n !== ''; });
        return firstProblem(names, function (name) {
            return validateIpAddress(name) === '' ? '' : validateDnsName(name);
        });
    }

    /** ACME contact addresses (comma, space or semicolon separated, "mailto:" allowed): null or { name, reason: 'email' }. */
    function validateEmails(value) {
        var names = text(value).split(/[\s,;]+/).filter(function (n) { return n !== ''; });
        return firstProblem(names, function (name) { return validateEmail(name.replace(/^mailto:/i, '')); });
    }

    // ------------------------------------------------------------------ other values

    /** A host to connect to: a name (underscores allowed), IPv4 or IPv6. */
    function isHost(value) {
        return HOST.test(text(value));
    }

    /** A TCP port 1-65535 (a number or its text). */
    function isPort(value) {
        var t = text(value);
        return /^\d+$/.test(t) && Number(t) >= 1 && Number(t) <= 65535;
    }

    /** Empty, or a whole number from min to max. */
    function isWholeNumberOrEmpty(value, min, max) {
        var t = text(value);
        return t === '' || (/^\d+$/.test(t) && Number(t) >= min && Number(t) <= max);
    }

    /** A folder name: letters, digits, ".", "_" and "-", starting with a letter or digit. */
    function isFolderName(value, maxLength) {
        var t = value === undefined || value === null ? '' : String(value);
        return FOLDER_NAME.test(t) && t.length <= (maxLength || 64);
    }

    /** PEM text holding at least one block of this kind (default CERTIFICATE). */
    function isPem(value, label) {
        return new RegExp('-----BEGIN ' + (label || 'CERTIFICATE') + '-----').test(value || '');
    }

    // ------------------------------------------------------------------ required fields

    /**
     * Per node type: { defaults: values of select fields when unset, rules: [...] }. A rule
     * applies when every `when` field has one of the listed values; it is broken when none of
     * its `anyOf` fields is given. The reason names the message `<type>.validation.<reason>`
     * (the dialog's text, the runtime's error) and `<type>.required.<reason>` (the runtime's
     * short status).
     */
    var REQUIRED = {
        'certflow-csr': {
            defaults: {},
            rules: [{ anyOf: ['cn', 'altNames', 'localNames'], reason: 'needName' }]
        },
        'certflow-sign': {
            defaults: { mode: 'self-signed' },
            rules: [
                { when: { mode: ['self-signed'] }, anyOf: ['cn', 'altNames'], reason: 'needName' },
                { when: { mode: ['ca'] }, anyOf: ['cn', 'O'], reason: 'caName' }
            ]
        },
        'certflow-inspect': {
            defaults: { source: 'payload', trust: 'system' },
            rules: [
                { when: { source: ['file'] }, anyOf: ['path'], reason: 'pathRequired' },
                { when: { source: ['server'] }, anyOf: ['host'], reason: 'hostRequired' },
                { when: { trust: ['ca'] }, anyOf: ['trustCa'], reason: 'trustCaRequired' }
            ]
        },
        'certflow-acme': {
            defaults: {},
            rules: [{ anyOf: ['identifiers'], reason: 'needNames' }]
        }
    };

    /**
     * Whether a field has a value: its text (a plain value, a file path, or the name of the msg /
     * flow / global / env property whose value arrives with a message), or for the TypedInput
     * type `pasted` the textarea `<field>Pem`.
     */
    function isGiven(values, field) {
        if (typeof values[field] === 'boolean') { return values[field]; } // a tick box
        if (values[field + 'Type'] === 'pasted') { return text(values[field + 'Pem']) !== ''; }
        return text(values[field]) !== '';
    }

    /** The fields `requiredProblems` reads for `type` (so a dialog knows what to collect). */
    function requiredFields(type) {
        var spec = REQUIRED[type];
        var fields = [];
        (spec ? spec.rules : []).forEach(function (rule) {
            Object.keys(rule.when || {}).concat(rule.anyOf).forEach(function (field) {
                [field, field + 'Type', field + 'Pem'].forEach(function (f) { if (fields.indexOf(f) < 0) { fields.push(f); } });
            });
        });
        return fields;
    }

    /** The broken rules of `type` for these values (a node's config, or the dialog's values): [{ fields, reason }]. */
    function requiredProblems(type, values) {
        var spec = REQUIRED[type];
        if (!spec) { return []; }
        values = values || {};
        return spec.rules.filter(function (rule) {
            var applies = Object.keys(rule.when || {}).every(function (field) {
                var value = values[field] === undefined || values[field] === null || values[field] === '' ? spec.defaults[field] : values[field];
                return rule.when[field].indexOf(value) >= 0;
            });
            return applies && !rule.anyOf.some(function (field) { return isGiven(values, field); });
        }).map(function (rule) { return { fields: rule.anyOf.slice(), reason: rule.reason }; });
    }

    /**
     * The required-field check of one dialog field, for use inside its validator (`this` is the
     * node): true, or the reason's sentence from the node's catalogue.
     */
    function checkRequired(node, type, field, value) {
        var values = {};
        requiredFields(type).forEach(function (f) { values[f] = dialogValue(node, f); });
        values[field] = value;
        var problem = requiredProblems(type, values).filter(function (p) { return p.fields.indexOf(field) >= 0; })[0];
        return problem ? message(node, type + '.validation.' + problem.reason) : true;
    }

    // ------------------------------------------------------------------ dialog helpers

    /**
     * A property's value as the dialog shows it now (while the dialog is open the node object
     * still holds the saved value), else the node's saved value. prefix: 'node-input' (default)
     * or 'node-config-input'.
     */
    function dialogValue(node, field, prefix) {
        if (typeof $ !== 'function') { return node ? node[field] : undefined; }
        var input = $('#' + (prefix || 'node-input') + '-' + field);
        if (!input.length) { return node ? node[field] : undefined; }
        return input.is(':checkbox') ? input.is(':checked') : input.val();
    }

    /** A message from the node's own catalogue (validators run with the node as `this`). */
    function message(node, key, substitutions) {
        return node && typeof node._ === 'function' ? node._(key, substitutions) : key;
    }

    /** '"exa mple.com" is not valid: a DNS name cannot contain a space', from `<type>.validation.*`. */
    function nameMessage(node, type, problem) {
        return message(node, type + '.validation.invalidName', {
            name: problem.name,
            reason: message(node, type + '.validation.reason.' + problem.reason)
        });
    }

    /**
     * A validator for a TypedInput field: while its type is not `plainType` (a msg / flow /
     * global / env reference), Node-RED's own TypedInput check applies; for a plain value,
     * `check.call(node, v, opt)`, which returns true or a message.
     */
    function typedInputValidator(field, check, opts) {
        var plainType = (opts && opts.plainType) || 'str';
        var defaultType = (opts && opts.defaultType) || plainType;
        var isConfig = !!(opts && opts.isConfig);
        return function (v, opt) {
            var type = dialogValue(this, field + 'Type', isConfig ? 'node-config-input' : 'node-input') || defaultType;
            if (type !== plainType) { return RED.validators.typedInput({ typeField: field + 'Type', isConfig: isConfig })(v, opt); }
            return check.call(this, v, opt);
        };
    }

    /** TypedInput types for a secret: none / stored credential / msg / flow / global / env (never a plain string in the flow). */
    function secretTypes(node, keyPrefix) {
        return [
            { value: 'none', label: node._(keyPrefix + '.none'), hasValue: false },
            { value: 'cred', label: node._(keyPrefix + '.cred'), icon: 'fa fa-lock', hasValue: false },
            'msg', 'flow', 'global', 'env'
        ];
    }

    /** The TypedInput type "the key of the bundle in msg.payload" (a fresh object: typedInput keeps it). */
    function bundleKeyType() {
        return { value: 'bundle', label: 'msg.payload.key', icon: 'fa fa-key', hasValue: false };
    }

    // ------------------------------------------------------------------ form template

    /*
     * Every dialog's form is written here once, as Node-RED's own dialogs write it: a list of rows,
     * each a <div class="form-row"> with a label (Font Awesome icon + text from the node's
     * catalogue) and its field, whose id `<prefix>-<field>` Node-RED fills from the node's property
     * (prefix node-input, or node-config-input for a config node). A node's .html declares its rows
     * and `formTemplate` writes them into its <script type="text/html" data-template-name> when
     * the node's script loads, before any dialog opens. A row spec:
     *   field        the property; input: 'text' (default), 'password', 'typed' (text + the hidden
     *                <field>Type of a TypedInput), 'select' (options: [{ value, label: catalogue key
     *                below <type>. | text }]), 'textarea' (rows), 'checkbox' (text: the key of the
     *                text beside the box), 'none' (the label only, e.g. a config node select)
     *   label        catalogue key below <type>. (default 'label.<field>'); icon: 'key' -> fa fa-key
     *                (a label with no icon is the key's text alone); label: false -> an empty label
     *   width        the field's width (default 70%; '' for none); placeholder: catalogue key below
     *                <type>., placeholderText: a literal one; autocomplete
     *   cls, attrs   the row's extra classes and attributes ({ 'data-providers': '...' })
     *   after        HTML after the field, on the same row (see `field`, `catalogueText`)
     * A string is HTML as it is; { heading: key } a bold section title; { tip: key } a form tip;
     * { group: 'classes', rows: [...] } a <div> around rows that show and hide together.
     */

    function escapeHtml(v) {
        return String(v).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    }

    function attributes(attrs) {
        return Object.keys(attrs).filter(function (name) { return attrs[name] !== undefined && attrs[name] !== null; })
            .map(function (name) { return ' ' + name + '="' + escapeHtml(attrs[name]) + '"'; }).join('');
    }

    function fieldId(spec) {
        return (spec.config ? 'node-config-input-' : 'node-input-') + spec.field;
    }

    /** A text from the node's catalogue: <span data-i18n="<type>.<key>"></span> (or another tag). */
    function catalogueText(type, key, tag) {
        tag = tag || 'span';
        return '<' + tag + ' data-i18n="' + escapeHtml(type + '.' + key) + '"></' + tag + '>';
    }

    /** The field(s) of one row spec (see above), without label: for rows that hold more than one field. */
    function field(type, spec) {
        var id = fieldId(spec);
        var input = spec.input || 'text';
        var width = spec.width === undefined ? '70%' : spec.width;
        var placeholder = spec.placeholder ? '[placeholder]' + type + '.' + spec.placeholder : undefined;
        if (input === 'none') { return ''; }
        if (input === 'select') {
            return '<select' + attributes({ id: id, style: width ? 'width:' + width : undefined }) + '>' + (spec.options || []).map(function (o) {
                return o.label ? '<option' + attributes({ value: o.value, 'data-i18n': type + '.' + o.label }) + '></option>'
                    : '<option' + attributes({ value: o.value }) + '>' + escapeHtml(o.text === undefined ? o.value : o.text) + '</option>';
            }).join('\n') + '</select>';
        }
        if (input === 'textarea') {
            return '<textarea' + attributes({ id: id, rows: spec.rows || 4, style: 'width:' + width + '; font-family:monospace; font-size:11px', 'data-i18n': placeholder }) + '></textarea>';
        }
        if (input === 'checkbox') {
            // a box after a plain text label keeps a gap to the text beside it
            return '<input' + attributes({ type: 'checkbox', id: id, style: 'display:inline-block; width:auto; vertical-align:top;' + (spec.label && !spec.icon ? ' margin-right:6px' : '') }) + '>\n' +
                '<label' + attributes({ for: id, style: 'width:' + (spec.textWidth || 'auto'), 'data-i18n': type + '.' + spec.text }) + '></label>';
        }
        return '<input' + attributes({
            type: input === 'password' ? 'password' : 'text', id: id, style: width ? 'width:' + width : undefined,
            autocomplete: spec.autocomplete, placeholder: spec.placeholderText, 'data-i18n': placeholder
        }) + '>' + (input === 'typed' ? '\n<input' + attributes({ type: 'hidden', id: id + 'Type' }) + '>' : '');
    }

    /** One form row (see above). */
    function formRow(type, spec) {
        if (typeof spec === 'string') { return spec; }
        if (spec.heading) { return '<div class="form-row"><b data-i18n="' + escapeHtml(type + '.' + spec.heading) + '"></b></div>'; }
        if (spec.tip) { return '<div' + attributes({ class: 'form-tips' + (spec.cls ? ' ' + spec.cls : ''), 'data-i18n': '[html]' + type + '.' + spec.tip }) + '></div>'; }
        if (spec.group) { return '<div class="' + escapeHtml(spec.group) + '">\n' + formRows(type, spec.rows) + '\n</div>'; }
        var labelKey = type + '.' + (spec.label || 'label.' + spec.field);
        var forId = spec.input === 'none' || spec.input === 'checkbox' && !spec.label ? undefined : fieldId(spec);
        var label = spec.label === false || spec.input === 'checkbox' && !spec.label ? '<label' + attributes({ for: forId }) + '>&nbsp;</label>'
            : spec.icon ? '<label' + attributes({ for: forId }) + '><i class="fa fa-' + escapeHtml(spec.icon) + '"></i> <span data-i18n="' + escapeHtml(labelKey) + '"></span></label>'
                : '<label' + attributes({ for: forId, 'data-i18n': labelKey }) + '></label>';
        var attrs = { class: 'form-row' + (spec.cls ? ' ' + spec.cls : '') };
        Object.keys(spec.attrs || {}).forEach(function (name) { attrs[name] = spec.attrs[name]; });
        // white space between the parts, as in hand-written markup: inline elements keep their gaps
        return '<div' + attributes(attrs) + '>\n' + [label, field(type, spec), spec.after].filter(Boolean).join('\n') + '\n</div>';
    }

    function formRows(type, rows) {
        return rows.map(function (spec) { return formRow(type, spec); }).join('\n');
    }

    /** Writes `rows` as the dialog template of `type` (its <script type="text/html" data-template-name>). */
    function formTemplate(type, rows) {
        var html = formRows(type, rows);
        if (typeof $ !== 'function') { return html; }
        var template = $('script[data-template-name="' + type + '"]');
        if (!template.length) { template = $('<script type="text/html">').attr('data-template-name', type).appendTo(document.body); }
        template.text(html);
        return html;
    }

    /**
     * A secret chosen with a TypedInput (secretTypes: none / stored / msg / ...) and, for "stored",
     * the password box of the credential `stored`, shown by the dialog only while "stored" is chosen
     * (class `<type>-stored-<stored>`, unless storedClass names another).
     */
    function secretRows(type, opts) {
        var from = opts.from || opts.stored + 'From';
        return [
            { field: from, input: 'typed', icon: 'lock', label: 'label.' + (opts.label || opts.stored), cls: opts.cls },
            { field: opts.stored, input: 'password', icon: 'asterisk', label: 'label.' + (opts.storedLabel || 'storedPassphrase'), autocomplete: 'new-password', cls: opts.storedClass || type + '-stored-' + opts.stored }
        ];
    }

    /**
     * The key and subject of a certificate or CSR (create CSR, sign certificate): key, its
     * passphrase, common name, alternative names, organization, unit, country. opts.cls: the
     * rows' class, opts.altNamesClass that of the alternative names; opts.afterAltNames and
     * opts.more: rows after the alternative names and after the country.
     */
    function subjectRows(type, opts) {
        opts = opts || {};
        var cls = opts.cls;
        return [{ field: 'keyFrom', input: 'typed', icon: 'key', label: 'label.key', cls: cls }]
            .concat(secretRows(type, { stored: 'passphrase', cls: cls, storedClass: opts.storedClass }))
            .concat([
                { field: 'cn', input: 'typed', icon: 'id-card-o', placeholder: 'placeholder.cn', cls: cls },
                { field: 'altNames', input: 'typed', icon: 'list', placeholder: 'placeholder.altNames', cls: opts.altNamesClass || cls }
            ], opts.afterAltNames || [], [
                { field: 'O', icon: 'building-o', placeholder: 'placeholder.optional', cls: cls },
                { field: 'OU', icon: 'sitemap', placeholder: 'placeholder.optional', cls: cls },
                { field: 'C', icon: 'flag-o', placeholder: 'placeholder.country', width: '70px', cls: cls }
            ], opts.more || []);
    }

    /**
     * oneditprepare's part for subjectRows (`this`/node: the node, type: its type): the TypedInputs
     * of the key (the bundle's, or msg / flow / global / env), its passphrase (secretTypes), the
     * common name and the alternative names (also JSON: a list).
     */
    function prepareSubjectInputs(node, type) {
        $('#node-input-keyFrom').typedInput({ typeField: '#node-input-keyFromType', types: [bundleKeyType(), 'msg', 'flow', 'global', 'env'] });
        $('#node-input-passphraseFrom').typedInput({ typeField: '#node-input-passphraseFromType', types: secretTypes(node, type + '.passphrase') });
        $('#node-input-cn').typedInput({ typeField: '#node-input-cnType', types: ['str', 'msg', 'flow', 'global', 'env'] });
        $('#node-input-altNames').typedInput({ typeField: '#node-input-altNamesType', types: ['str', 'msg', 'flow', 'global', 'env', 'json'] });
    }

    /** The Name row every dialog ends with (placeholder: the catalogue key below <type>.). */
    function nameRow(type, opts) {
        opts = opts || {};
        return { field: 'name', icon: 'tag', config: opts.config, width: opts.width, placeholder: opts.placeholder === undefined ? 'label.name' : opts.placeholder };
    }

    /** Options of a select whose texts are catalogue keys `<prefix>.<value>`. */
    function options(prefix, values) {
        return values.map(function (value) { return { value: value, label: prefix + '.' + value }; });
    }

    /** say(node, key, substitutions): a message `<prefix>.<key>` from the node's catalogue. */
    function catalogue(prefix) {
        return function (node, key, substitutions) { return message(node, prefix + '.' + key, substitutions); };
    }

    // ------------------------------------------------------------------ palette

    /**
     * `onpaletteadd` of every certflow node type (`this` is the type's definition): makes the
     * palette search find the node by the words users type for it. Node-RED 4.1's palette filter
     * (refreshFilter in red.js) tests the typed text against a palette node's type and its
     * `data-palette-label` attribute only, so the words of `<type>.searchWords` (the catalogue:
     * "letsencrypt ssl tls", "expiry"...) go into that attribute, after the label. Node-RED also
     * draws a label broken at every "-" ("Node - RED"): a label with a hyphen is redrawn broken
     * at spaces only. Checked in Chromium by test/editor/first-hour.test.js.
     */
    function onPaletteAdd() {
        var def = this;
        var el = $('#red-ui-palette-container .red-ui-palette-node[data-palette-type="' + def.type + '"]');
        if (!el.length) { return; }
        var label = RED.utils.getPaletteLabel(def.type, def);
        var words = typeof def._ === 'function' ? def._(def.type + '.searchWords') : '';
        if (words && words !== def.type + '.searchWords') { el.attr('data-palette-label', label + ' ' + words); }
        if (label.indexOf('-') >= 0) {
            var lines = [];
            label.split(' ').forEach(function (word) {
                var last = lines.length - 1;
                if (last >= 0 && RED.view.calculateTextWidth(lines[last] + ' ' + word, 'red-ui-palette-label') < 82) { lines[last] += ' ' + word; } else { lines.push(word); }
            });
            el.find('.red-ui-palette-label').html(lines.map(function (line) { return RED.utils.sanitize(line); }).join('<br/>'));
        }
    }

    var api = {
        REQUIRED: REQUIRED,
        onPaletteAdd: onPaletteAdd,
        requiredFields: requiredFields,
        requiredProblems: requiredProblems,
        checkRequired: checkRequired,
        validateDnsName: validateDnsName,
        validateIpAddress: validateIpAddress,
        validateEmail: validateEmail,
        validateUri: validateUri,
        validateAltName: validateAltName,
        validateAltNames: validateAltNames,
        validateCommonName: validateCommonName,
        validateAcmeIdentifiers: validateAcmeIdentifiers,
        validateEmails: validateEmails,
        isHost: isHost,
        isPort: isPort,
        isWholeNumberOrEmpty: isWholeNumberOrEmpty,
        isFolderName: isFolderName,
        isPem: isPem,
        dialogValue: dialogValue,
        message: message,
        nameMessage: nameMessage,
        typedInputValidator: typedInputValidator,
        secretTypes: secretTypes,
        bundleKeyType: bundleKeyType,
        catalogue: catalogue,
        formTemplate: formTemplate,
        formRows: formRows,
        field: field,
        catalogueText: catalogueText,
        secretRows: secretRows,
        subjectRows: subjectRows,
        prepareSubjectInputs: prepareSubjectInputs,
        nameRow: nameRow,
        options: options
    };
    if (typeof module === 'object' && module.exports) {
        module.exports = api; // the runtime's copy of the rules (nodes/common/required.ts)
    } else {
        global.certflowEditor = api;
    }
})(typeof window !== 'undefined' ? window : undefined);
