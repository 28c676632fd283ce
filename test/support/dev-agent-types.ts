/** Types of the Consul test harness's dev agents (see dev-agent.ts). */

/** A running Consul agent started by {@link startDevAgent}. */
export interface Agent {
  /** "127.0.0.1:PORT" — the value for CONSUL_HTTP_ADDR */
  httpAddr: string;
  httpPort: number;
  /** "http://127.0.0.1:PORT" */
  url: string;
  /** HTTPS port when the config JSON set `ports.https`, otherwise undefined */
  httpsPort: number | undefined;
  serfLanPort: number;
  serfWanPort: number;
  serverPort: number;
  nodeName: string;
  datacenter: string;
  /** ACL token taken from configJson (acl.tokens.master / agent_master / agent), if any */
  token: string | undefined;
  /** Set for HTTPS-only agents (StartAgentOptions.tls); `url` is then https://127.0.0.1:httpsPort */
  tls?: AgentTls;
  logFile: string;
  /** the agent's temp dir (removed by stop()) */
  dir: string;
  pid: number;
  stop(): Promise<void>;
}

/** PEM files the harness itself uses to talk to an HTTPS-only agent. */
export interface AgentTls {
  caFile: string;
  /** client certificate and key, for agents with verify_incoming */
  certFile?: string;
  keyFile?: string;
}

export interface StartAgentOptions {
  /**
   * HTTPS only: the HTTP port is turned off (configJson must set ports.https and the TLS files), and
   * readiness checks and consulHttp go over https, trusting caFile (with the client cert, if given).
   */
  tls?: AgentTls;
  /** -node (default: a unique "consul-test-<pid>-<n>") */
  nodeName?: string;
  /** appended verbatim after the generated arguments (flags override config files) */
  extraArgs?: string[];
  /** written to <tmp>/extra-config.json and passed with -config-file */
  configJson?: object;
  /**
   * true (default): `-dev` (in-memory raft; -data-dir only holds node-id in 1.8.7).
   * false: a real single server: `-server -bootstrap-expect 1` with raft on disk in -data-dir.
   */
  dev?: boolean;
  /** readiness timeout in ms (default 30000) */
  timeoutMs?: number;
}
