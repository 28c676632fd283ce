// Turns the module's Ansible documentation (DOCUMENTATION.options + VALIDATION) into a JSON Schema.
// The schema describes the parameters AFTER Ansible-style conversion (port "8500" → 8500, delay "20s" → 20),
// which is what ajv checks; the conversion itself is driven by the same table (src/consul_session/generated/spec.ts).

/** Ansible option types → JSON Schema types. `raw` options are durations (see VALIDATION). */
const JSON_TYPES = {
  str: 'string',
  path: 'string',
  int: 'integer',
  float: 'number',
  bool: 'boolean',
  list: 'array',
  dict: 'object',
};

function describe(option) {
  const text = Array.isArray(option.description) ? option.description.join(' ') : option.description;
  // Ansible's markup (C(x), I(x)) reads fine as plain text in a schema.
  return String(text ?? '').replace(/\b[CIBMLU]\(([^)]*)\)/g, '$1');
}

function typeOf(name, option, refinement) {
  if (option.type === 'raw' && refinement.duration) return 'number';
  const type = JSON_TYPES[option.type];
  if (!type) throw new Error(`option ${name}: type ${option.type} has no JSON Schema mapping`);
  return type;
}

function objectSchema(options, refinements = {}) {
  const properties = {};
  const required = [];
  for (const [name, option] of Object.entries(options)) {
    properties[name] = optionSchema(name, option, refinements[name] ?? {});
    if (option.required) required.push(name);
  }
  const schema = { type: 'object', additionalProperties: false, properties };
  if (required.length) schema.required = required;
  return schema;
}

function optionSchema(name, option, refinement) {
  const schema = { description: describe(option), type: typeOf(name, option, refinement) };
  if (option.choices) schema.enum = option.choices;
  if (option.default !== undefined) schema.default = option.default;
  if (option.no_log) schema.writeOnly = true;
  for (const keyword of ['minimum', 'maximum', 'exclusiveMinimum', 'pattern']) {
    if (refinement[keyword] !== undefined) schema[keyword] = refinement[keyword];
  }
  if (option.type === 'list') {
    schema.items = option.suboptions
      ? objectSchema(option.suboptions)
      : { type: JSON_TYPES[option.elements ?? 'str'] };
  }
  return schema;
}

/** Ansible's required_if: [key, value, [params], any?] → if/then, in the rules' order. */
function requiredIf([key, value, params, any]) {
  const then = any ? { anyOf: params.map((p) => ({ required: [p] })) } : { required: params };
  return { if: { properties: { [key]: { const: value } }, required: [key] }, then };
}

export function generateSchema(doc) {
  const validation = doc.VALIDATION ?? {};
  const name = doc.DOCUMENTATION.module;
  const schema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: `${name} parameters`,
    description:
      `Parameters of the ${name} Ansible module, after Ansible-style type conversion. ` +
      `Generated from src/${name}/${name}.yml and the fragments it extends by build.mjs: do not edit.`,
    ...objectSchema(doc.DOCUMENTATION.options, validation.options),
  };
  if (validation.required_if?.length) schema.allOf = validation.required_if.map(requiredIf);
  return schema;
}
