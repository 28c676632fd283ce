/**
 * ansible-doc reads the sidecar dist/consul_session.yml beside the built module; it is the same table
 * that generates schema/consul_session.schema.json, so ansible-doc must list exactly the schema's
 * parameters, with the same choices, defaults and types, plus the examples and the return values.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DIST_DIR, PLAYBOOKS_DIR, REPO_ROOT, ansibleEnv, ansibleOrSkip, runCli } from '../support/ansible.js';

interface DocOption {
  type?: string;
  choices?: unknown[];
  default?: unknown;
  required?: boolean;
  elements?: string;
  suboptions?: Record<string, DocOption>;
}
interface DocJson {
  doc: { module: string; short_description: string; options: Record<string, DocOption> };
  examples: string;
  return: Record<string, unknown>;
}
interface SchemaProperty {
  type?: string;
  enum?: unknown[];
  default?: unknown;
  items?: { type?: string; properties?: Record<string, SchemaProperty>; required?: string[] };
}

const JSON_TYPE: Record<string, string> = { str: 'string', path: 'string', int: 'integer', float: 'number', bool: 'boolean', list: 'array' };

async function docJson(args: string[], cwd: string): Promise<DocJson> {
  const run = await runCli('ansible-doc', ['--json', ...args, 'consul_session'], { cwd, env: ansibleEnv() });
  expect(run.code, run.stderr).to.equal(0);
  const parsed = JSON.parse(run.stdout) as Record<string, DocJson>;
  expect(Object.keys(parsed)).to.deep.equal(['consul_session']);
  return parsed.consul_session!;
}

describe('ansible-doc consul_session (the sidecar beside the built module)', function () {
  this.timeout(60_000);
  const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'schema/consul_session.schema.json'), 'utf8')) as {
    properties: Record<string, SchemaProperty>;
  };
  const table = parseYaml(readFileSync(join(REPO_ROOT, 'src/consul_session/consul_session.yml'), 'utf8')) as {
    EXAMPLES: string;
    RETURN: Record<string, unknown>;
  };
  let doc: DocJson;

  before(async function () {
    ansibleOrSkip(this, ['ansible-doc']);
    doc = await docJson(['-M', DIST_DIR], REPO_ROOT);
  });

  it("the sidecar carries the module's own options and the shared connection fragment, written once", function () {
    const fragment = parseYaml(readFileSync(join(REPO_ROOT, 'src/shared/connection.yml'), 'utf8')) as { DOCUMENTATION: { options: object } };
    const own = parseYaml(readFileSync(join(REPO_ROOT, 'src/consul_session/consul_session.yml'), 'utf8')) as { DOCUMENTATION: { options: object } };
    const expected = [...Object.keys(own.DOCUMENTATION.options), ...Object.keys(fragment.DOCUMENTATION.options)];
    expect(Object.keys(doc.doc.options).sort()).to.deep.equal(expected.sort());
    expect(expected).to.include('token').and.include('state');
  });

  it('lists exactly the parameters of the schema, with the same choices, defaults and types', function () {
    const options = doc.doc.options;
    expect(Object.keys(options).sort()).to.deep.equal(Object.keys(schema.properties).sort());
    for (const [name, option] of Object.entries(options)) {
      const property = schema.properties[name]!;
      expect(option.choices, `${name}: choices`).to.deep.equal(property.enum);
      expect(option.default, `${name}: default`).to.deep.equal(property.default);
      if (option.type !== undefined && option.type in JSON_TYPE) expect(JSON_TYPE[option.type], `${name}: type`).to.equal(property.type);
      if (option.suboptions) {
        const items = property.items!;
        expect(Object.keys(option.suboptions).sort(), `${name}: suboptions`).to.deep.equal(Object.keys(items.properties ?? {}).sort());
        const required = Object.entries(option.suboptions).filter(([, sub]) => sub.required).map(([key]) => key);
        expect(required, `${name}: required suboptions`).to.deep.equal(items.required ?? []);
      }
    }
  });

  it('shows the examples (with delay: 20s) and every return value', function () {
    expect(doc.examples).to.equal(table.EXAMPLES);
    expect(doc.examples).to.contain('delay: 20s');
    expect(Object.keys(doc.return).sort()).to.deep.equal(Object.keys(table.RETURN).sort());
  });

  it('prints every parameter, the examples and the return values as text', async function () {
    const run = await runCli('ansible-doc', ['-M', DIST_DIR, 'consul_session'], { cwd: REPO_ROOT, env: ansibleEnv({ PAGER: 'cat' }) });
    expect(run.code, run.stderr).to.equal(0);
    for (const name of Object.keys(schema.properties)) expect(run.stdout).to.match(new RegExp(`^[-=] ${name}$`, 'm'));
    expect(run.stdout).to.contain('EXAMPLES:').and.contain('RETURN VALUES:').and.contain('session_id');
  });

  it('in playbooks/, ansible.cfg makes `consul_session` this module, not another of the same name', async function () {
    const fromPlaybooks = await docJson([], PLAYBOOKS_DIR);
    expect(fromPlaybooks.doc.short_description).to.equal(doc.doc.short_description).and.equal('Manage Consul sessions, declaratively');
    expect(Object.keys(fromPlaybooks.doc.options).sort()).to.deep.equal(Object.keys(schema.properties).sort());
  });
});
