/**
 * ansible-doc reads each module's sidecar dist/MODULE.yml beside the built dist/MODULE.js; it is the same
 * table that generates schema/MODULE.schema.json, so ansible-doc must list exactly the schema's
 * parameters, with the same choices, defaults and types, plus the attributes, examples and return values.
 * Every module in dist/ is checked, under the ansible-core under test (the matrix adds 2.19).
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
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
interface DocAttribute {
  description?: string | string[];
  support?: string;
  platforms?: string | string[];
}
interface DocJson {
  doc: { module: string; short_description: string; options: Record<string, DocOption>; attributes?: Record<string, DocAttribute> };
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
/** Every built module: a sidecar dist/MODULE.yml beside dist/MODULE.js. */
const MODULES = readdirSync(DIST_DIR)
  .filter((file) => file.endsWith('.yml') && readdirSync(DIST_DIR).includes(file.replace(/\.yml$/, '.js')))
  .map((file) => file.replace(/\.yml$/, ''));

async function docJson(module: string, args: string[], cwd: string): Promise<DocJson> {
  const run = await runCli('ansible-doc', ['--json', ...args, module], { cwd, env: ansibleEnv() });
  expect(run.code, run.stderr).to.equal(0);
  const parsed = JSON.parse(run.stdout) as Record<string, DocJson>;
  expect(Object.keys(parsed)).to.deep.equal([module]);
  return parsed[module]!;
}

describe('ansible-doc (the sidecars beside the built modules)', function () {
  this.timeout(60_000);

  before(function () {
    ansibleOrSkip(this, ['ansible-doc']);
  });

  it('finds the built modules in dist/', function () {
    expect(MODULES).to.include('consul_session');
  });

  for (const module of MODULES) {
    describe(module, function () {
      const schema = JSON.parse(readFileSync(join(REPO_ROOT, `schema/${module}.schema.json`), 'utf8')) as {
        properties: Record<string, SchemaProperty>;
      };
      const sidecar = parseYaml(readFileSync(join(DIST_DIR, `${module}.yml`), 'utf8')) as {
        DOCUMENTATION: { short_description: string };
        EXAMPLES: string;
        RETURN: Record<string, unknown>;
      };
      let doc: DocJson;

      before(async function () {
        doc = await docJson(module, ['-M', DIST_DIR], REPO_ROOT);
      });

      it("carries the module's own options and those of the shared fragments it extends, written once", function () {
        const own = parseYaml(readFileSync(join(REPO_ROOT, `src/${module}/${module}.yml`), 'utf8')) as {
          DOCUMENTATION: { options: object; extends_documentation_fragment?: string[] };
        };
        const fragments = (own.DOCUMENTATION.extends_documentation_fragment ?? []).map(
          (name) => parseYaml(readFileSync(join(REPO_ROOT, `src/shared/${name}.yml`), 'utf8')) as { DOCUMENTATION: { options: object } },
        );
        const expected = [own, ...fragments].flatMap((table) => Object.keys(table.DOCUMENTATION.options));
        expect(Object.keys(doc.doc.options).sort()).to.deep.equal(expected.sort());
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

      it('documents the attributes check_mode and diff_mode (full) and platform (posix)', function () {
        const attributes = doc.doc.attributes ?? {};
        expect(Object.keys(attributes)).to.include.members(['check_mode', 'diff_mode', 'platform']);
        for (const [name, attribute] of Object.entries(attributes)) {
          expect(attribute.description, `${name}: description`).to.be.a('string').that.is.not.empty;
          expect(['full', 'partial', 'none', 'N/A'], `${name}: support`).to.include(attribute.support);
        }
        expect(attributes.check_mode?.support).to.equal('full');
        expect(attributes.diff_mode?.support).to.equal('full');
        expect(attributes.platform?.platforms).to.equal('posix');
      });

      it('shows the examples and every return value of the sidecar', function () {
        expect(doc.examples).to.equal(sidecar.EXAMPLES);
        expect(Object.keys(doc.return).sort()).to.deep.equal(Object.keys(sidecar.RETURN).sort());
      });

      it('prints every parameter, the attributes, the examples and the return values as text', async function () {
        const run = await runCli('ansible-doc', ['-M', DIST_DIR, module], { cwd: REPO_ROOT, env: ansibleEnv({ PAGER: 'cat' }) });
        expect(run.code, run.stderr).to.equal(0);
        // 2.14 prints each option name on a line of its own; 2.19 puts the description beside it.
        for (const name of Object.keys(schema.properties)) expect(run.stdout).to.match(new RegExp(`^[-=] ${name}(?:$| {2})`, 'm'));
        expect(run.stdout).to.contain('ATTRIBUTES:').and.match(/check_mode:/).and.match(/diff_mode:/).and.match(/platforms: posix/);
        expect(run.stdout).to.contain('EXAMPLES:').and.contain('RETURN VALUES:');
      });

      it('in playbooks/, ansible.cfg makes the name this module, not another of the same name', async function () {
        const fromPlaybooks = await docJson(module, [], PLAYBOOKS_DIR);
        expect(fromPlaybooks.doc.short_description).to.equal(sidecar.DOCUMENTATION.short_description);
        expect(Object.keys(fromPlaybooks.doc.options).sort()).to.deep.equal(Object.keys(schema.properties).sort());
      });
    });
  }
});
