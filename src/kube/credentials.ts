// What every request to the API server carries for the kubeconfig's user: the auth headers and the
// TLS agent (CA, client certificate, proxy). client-node computes both afresh for every request,
// building a new https.Agent each time and reading certificate files again; for a user whose
// credentials cannot change during a run that is the same answer thousands of times over.
import https from 'node:https';
import type http from 'node:http';
import { HttpMethod, type KubeConfig, ServerConfiguration } from './client-node.js';

export interface RequestCredentials {
  /** Headers the credentials add (Authorization, usually). */
  headers: Readonly<Record<string, string>>;
  agent: http.Agent | undefined;
}

/**
 * A user whose credentials can change while we run: an exec plugin or an auth provider hands out
 * tokens that expire (in-cluster config reads its rotating token file through one), so they are
 * asked again for every request; their own caches keep that cheap.
 */
function credentialsMayChange(kubeConfig: KubeConfig): boolean {
  const user = kubeConfig.getCurrentUser();
  return Boolean(user?.exec || user?.authProvider);
}

export class Credentials {
  private fixed: Promise<RequestCredentials> | undefined;
  private keepAliveAgent: https.Agent | undefined;
  private readonly mayChange: boolean;

  constructor(private readonly kubeConfig: KubeConfig) {
    this.mayChange = credentialsMayChange(kubeConfig);
  }

  /** The headers and agent for the next request. */
  forRequest(): Promise<RequestCredentials> {
    if (this.mayChange) return this.compute();
    // A failure (an unreadable certificate file) is not kept: the next request tries again.
    this.fixed ??= this.compute().catch((err: unknown) => {
      this.fixed = undefined;
      throw err;
    });
    return this.fixed;
  }

  private async compute(): Promise<RequestCredentials> {
    // client-node's own code decides what the user's entry means (token, basic auth, client
    // certificate, exec plugin, proxy), applied to a request made for the purpose.
    const ctx = new ServerConfiguration('https://credentials.invalid', {}).makeRequestContext('/', HttpMethod.GET);
    await this.kubeConfig.applySecurityAuthentication(ctx);
    return { headers: { ...ctx.getHeaders() }, agent: this.reuseAgent(ctx.getAgent()) };
  }

  /**
   * client-node builds a fresh https.Agent for every request, which costs a TLS handshake per
   * call. Reuse one keep-alive agent with the same TLS options instead. A proxy's agent is kept
   * as it came.
   */
  private reuseAgent(agent: unknown): http.Agent | undefined {
    if (!(agent instanceof https.Agent) || agent.constructor !== https.Agent) return agent as http.Agent | undefined;
    this.keepAliveAgent ??= new https.Agent({ ...agent.options, keepAlive: true });
    return this.keepAliveAgent;
  }
}
