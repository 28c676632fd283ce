// Renders README.md's parameter tables from the parameter tables: one per module (its own options) and
// one per shared fragment, each between its markers, e.g. <!-- parameters:consul_lock:start -->.
const markers = (table) => [`<!-- parameters:${table}:start -->`, `<!-- parameters:${table}:end -->`];

const plain = (text) =>
  (Array.isArray(text) ? text.join(' ') : String(text ?? ''))
    .replace(/\b[CIBMLU]\(([^)]*)\)/g, '`$1`')
    .replace(/\|/g, '\\|')
    .replace(/\s+/g, ' ')
    .trim();

function typeOf(option, refinement) {
  if (refinement?.duration) return 'seconds or duration';
  if (option.type === 'list') return `list of ${option.suboptions ? `{${Object.keys(option.suboptions).join(', ')}}` : option.elements}`;
  return option.type;
}

function row(name, option, refinement) {
  const choices = option.choices ? option.choices.map((c) => `\`${c}\``).join(', ') : typeOf(option, refinement);
  const fallback = option.env ? ` Env: ${[...new Set(option.env.map((e) => `\`${e.name}\``))].join(', ')}.` : '';
  const dflt = option.default === undefined ? '' : `\`${JSON.stringify(option.default)}\``;
  return `| \`${name}\` | ${choices} | ${dflt} | ${plain(option.description)}${fallback} |`;
}

/** `doc` is a module table or a fragment: its DOCUMENTATION.options and VALIDATION.options. */
export function renderParameterTable(doc) {
  const refinements = doc.VALIDATION?.options ?? {};
  const rows = Object.entries(doc.DOCUMENTATION.options).map(([name, option]) => row(name, option, refinements[name]));
  return ['| parameter | type / choices | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/** README text with the table between the markers of `table` replaced; a module without markers is a build error. */
export function withParameterTable(readme, table, doc) {
  const [START, END] = markers(table);
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no parameter table for ${table}: add the lines ${START} and ${END} where it belongs`);
  return `${readme.slice(0, start + START.length)}\n${renderParameterTable(doc)}\n${readme.slice(end)}`;
}
