/**
 * What runs under which version. The main pass — every test file, with the machine's node running
 * both mocha and the module, and the system's ansible-core (Debian bookworm: 2.14) — runs everything.
 * The matrix runs these parts once more under each OTHER version, inside one describe per version
 * (test/matrix/node.test.ts, test/matrix/ansible-core.test.ts); README.md's "Tests" says the same.
 */
import { spawnSync } from 'node:child_process';

/** The Node.js majors the module is tested under (package.json's engines and the README say so too). */
export const NODE_MAJORS = [18, 20, 22, 24, 26];

/**
 * Under every Node.js major besides the machine's: every state of every module against a real agent
 * (all of test/integration/). The security, cluster and collection tests exercise our code, not Node's,
 * and run once.
 */
export const UNDER_EVERY_NODE = ['test/integration'];

/**
 * Under the oldest and the newest major only: the example playbooks (ansible-playbook with
 * ansible_node_interpreter set to that node). Every major still runs one ad-hoc task through Ansible
 * (node.test.ts); the plays between the edges cost ~30 s each and found nothing the edges did not.
 */
export const UNDER_EDGE_NODES = ['test/playbook/playbooks.test.ts'];

/**
 * Tests of UNDER_EVERY_NODE that run in the main pass only, by exact title: they spend their time
 * waiting on Consul's clock, not running our code (each costs ~25 s per version).
 */
export const ONCE_ONLY_NODE = [
  // Consul's TTL timer against repeated `renewed` runs; renewing itself runs under every version.
  'keeps a 10 s TTL session alive past twice its TTL, while an unrenewed twin is invalidated',
  // Consul's TTL and lock-delay timers before a takeover; waiting, renewing and acquiring run under every version.
  "takes over from a dead holder (TTL run out, then its lock-delay), while its own short-TTL session is kept alive",
  // The same takeover from a SIGKILLed `consul lock` (its session's 15 s TTL and 15 s lock-delay: ~40 s).
  'takes over from a CLI holder killed with SIGKILL once its session dies (TTL 15s, lock-delay 15s)',
  // Consul's TTL against a keeper cut off from it (~15 s); the keeper's other endings run under every version.
  'loses Consul (every request stalls) for longer than its TTL: ends with a warning that the lock may be lost, not a hang',
  // The semaphore's takeover from a SIGKILLed `consul lock -n 2` (its session's 15 s TTL: ~30 s).
  'a CLI holder killed with SIGKILL is taken over once its session dies; then the CLI gets in after the module',
];

/** The ansible-core versions the plays are tested under. */
export const ANSIBLE_CORES = ['2.14', '2.19'];

/**
 * Tests of UNDER_EVERY_ANSIBLE_CORE that run in the main pass only, by exact title: what they add under
 * another ansible-core is covered by a shorter test there, and they cost CI ~95 s.
 */
export const ONCE_ONLY_ANSIBLE_CORE = [
  // 60 s of Consul's TTL clock; under 2.19 the keeper still runs async through the SIGKILL test, the hold
  // check and the SSH play, which is what differs between ansible-cores.
  'holds a 10 s TTL lock through 60 s of work while another process keeps trying, and leaves no keeper behind',
  // The SSH play with pipelining off still runs under 2.19 (the connection's other path).
  'pipelining on: both modules over SSH at -vvv, the token masked, nothing left on the host',
];

/** Under every ansible-core besides the system's: the whole playbook folder (plays, ansible-doc, collection, its ansible-test sanity, SSH, token). */
export const UNDER_EVERY_ANSIBLE_CORE = ['test/playbook'];

/** The major of the node running mocha (and, in the main pass, the module). */
export const MACHINE_NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/** The system ansible-playbook's `major.minor` (e.g. '2.14'), or undefined when there is none. */
export function systemAnsibleCore(): string | undefined {
  const run = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' });
  return run.status === 0 ? /\[core (\d+\.\d+)\./.exec(run.stdout)?.[1] : undefined;
}
