// Where the `http` step connects and which CAs it trusts beyond the system's, set once per run:
// curl's --connect-to rules (HOST1:PORT1:HOST2:PORT2, an empty HOST1 or PORT1 matching any), so an
// endpoint can be probed before DNS points at it, or a sandbox can answer for every host; and extra
// CA certificates (the sandbox's, or a site's private CA) added to the ones Node trusts.
import { InputError } from '../contract/errors.js';
import { nodeModule } from './node-modules.js';

export interface ConnectRule {
  /** Host asked for; '' matches any. */
  host: string;
  /** Port asked for; 0 matches any. */
  port: number;
  toHost: string;
  /** 0 keeps the port asked for. */
  toPort: number;
}

export interface HttpRouting {
  connectTo: ConnectRule[];
  /** PEM certificates trusted besides the system's. */
  extraCa: string[];
}

/** Parses `HOST1:PORT1:HOST2:PORT2` as curl does; `where` names the flag or variable for messages. */
export function parseConnectTo(rule: string, where: string): ConnectRule {
  const parts = rule.split(':');
  const port = (p: string): number => (p === '' ? 0 : Number(p));
  if (parts.length !== 4 || [parts[1]!, parts[3]!].some((p) => p !== '' && !/^\d{1,5}$/.test(p)) || parts[2] === '' && parts[3] === '') {
    throw new InputError([{ message: `${where} ${rule}: not a connect-to rule`, hint: 'write HOST1:PORT1:HOST2:PORT2 as curl does, e.g. my-route.apps.example.com:443:10.0.0.5:8443; leave HOST1 or PORT1 empty to match any' }]);
  }
  return { host: parts[0]!.toLowerCase(), port: port(parts[1]!), toHost: parts[2]!, toPort: port(parts[3]!) };
}

/** The rules of RUNBOOK_CONNECT_TO (comma or space separated) then of the flags. */
export function connectRules(flags: readonly string[] = [], env = process.env.RUNBOOK_CONNECT_TO): ConnectRule[] {
  const fromEnv = (env ?? '').split(/[\s,]+/).filter(Boolean).map((r) => parseConnectTo(r, 'RUNBOOK_CONNECT_TO'));
  return [...flags.map((r) => parseConnectTo(r, '--connect-to')), ...fromEnv];
}

/** Where to connect for a URL's host and port: the first matching rule, else the URL's own. */
export function routeFor(rules: readonly ConnectRule[], host: string, port: number): { host: string; port: number } | undefined {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  const rule = rules.find((r) => (r.host === '' || r.host === h) && (r.port === 0 || r.port === port));
  return rule ? { host: rule.toHost || h, port: rule.toPort || port } : undefined;
}

/** The CA list for a request: the system's plus the extra ones, or undefined to keep Node's default. */
export function trustedCas(extra: readonly string[]): string[] | undefined {
  return extra.length ? [...nodeModule<typeof import('node:tls')>('node:tls').rootCertificates, ...extra] : undefined;
}
