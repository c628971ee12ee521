// The http step's curl-style connect-to rules: parsed as curl writes them, refused with a hint when
// malformed, and matched first-rule-wins with empty host or port matching any.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/contract/errors.js';
import { connectRules, parseConnectTo, routeFor } from '../../../src/steps/http-routing.js';

describe('connect-to rules', () => {
  it('parses curl form, empty parts matching any', () => {
    expect(parseConnectTo('Api.Example.com:443:10.0.0.5:8443', '--connect-to')).toEqual({ host: 'api.example.com', port: 443, toHost: '10.0.0.5', toPort: 8443 });
    expect(parseConnectTo('::127.0.0.1:40000', '--connect-to')).toEqual({ host: '', port: 0, toHost: '127.0.0.1', toPort: 40000 });
  });

  it('refuses what is not a rule, naming the flag', () => {
    for (const bad of ['127.0.0.1:8080', 'a:b:c:d', 'a:1::']) {
      expect(() => parseConnectTo(bad, '--connect-to')).toThrow(InputError);
    }
    expect(() => connectRules([], 'nope')).toThrow(/RUNBOOK_CONNECT_TO nope: not a connect-to rule/);
  });

  it('routes by the first matching rule; no rule keeps the URL', () => {
    const rules = connectRules(['model.example.com:443:10.1.1.1:', '::127.0.0.1:9000']);
    expect(routeFor(rules, 'model.example.com', 443)).toEqual({ host: '10.1.1.1', port: 443 });
    expect(routeFor(rules, 'other.example.com', 80)).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(routeFor(connectRules(['a.example.com:443:b.example.com:8443']), 'c.example.com', 443)).toBeUndefined();
  });
});
