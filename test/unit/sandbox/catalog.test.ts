import { describe, expect, it } from 'vitest';
import { parse as parseYamlDoc } from 'yaml';
import { parseCatalog, type Catalog } from '../../../src/sandbox/catalog/fbc.js';
import { builtInCatalogs } from '../../../src/sandbox/catalog/load.js';
import { channelHead, resolve, type ResolveRequest } from '../../../src/sandbox/catalog/resolve.js';

const builtIn = (): Catalog => builtInCatalogs().get('openshift-marketplace/redhat-operators')!;

function upgrade(channel: string, from: string, catalog: Catalog = builtIn()): ReturnType<typeof resolve> {
  return resolve({
    subscription: 'rhods-operator',
    catalogName: 'redhat-operators',
    catalogNamespace: 'openshift-marketplace',
    catalog,
    packageName: 'rhods-operator',
    channel,
    installed: { name: `rhods-operator.${from}`, version: from },
  });
}

describe('the built-in catalog (RHOAI-Build-Config, v4.19 index)', () => {
  it('loads through the same reader as a site catalog, without problems', () => {
    const pkg = builtIn().packages.get('rhods-operator')!;
    expect(pkg.defaultChannel).toBe('stable-3.x');
    expect([...pkg.channels.keys()]).toEqual(expect.arrayContaining(['stable-2.25', 'stable-3.3', 'stable-3.x', 'support-required-upgrade']));
    expect(pkg.bundles.has('rhods-operator.2.25.5')).toBe(true);
    expect(channelHead(pkg, 'stable-2.25')?.name).toBe('rhods-operator.2.25.11');
    expect(channelHead(pkg, 'support-required-upgrade')?.name).toBe('rhods-operator.3.3.6');
  });

  it('has no edge from 2.25 in stable-3.3 or stable-3.x: OLM stays at the installed CSV, with no error', () => {
    expect(upgrade('stable-3.3', '2.25.4')).toEqual({ kind: 'upToDate', channel: 'stable-3.3' });
    expect(upgrade('stable-3.x', '2.25.11')).toEqual({ kind: 'upToDate', channel: 'stable-3.x' });
  });

  it('reaches 3.3 from 2.25 only in support-required-upgrade, from a minimum that depends on the target', () => {
    const to = (from: string): string | undefined => {
      const r = upgrade('support-required-upgrade', from);
      return r.kind === 'install' ? r.version : undefined;
    };
    expect(to('2.25.3')).toBeUndefined();
    expect(to('2.25.4')).toBe('3.3.2');
    expect(to('2.25.5')).toBe('3.3.2');
    expect(to('2.25.6')).toBe('3.3.3');
    expect(to('2.25.7')).toBe('3.3.6');
    expect(to('3.3.2')).toBe('3.3.6');
  });

  it('upgrades within stable-2.25 to the newest 2.25', () => {
    expect(upgrade('stable-2.25', '2.25.4')).toMatchObject({ kind: 'install', version: '2.25.11' });
  });
});

describe('OLM resolution failures carry OLM text', () => {
  const base: ResolveRequest = { subscription: 'rhods-operator', catalogName: 'mirror', catalogNamespace: 'openshift-marketplace', catalog: undefined, packageName: 'rhods-operator', channel: 'stable-3.3' };
  it('names a missing catalog, package, channel and startingCSV', () => {
    expect(resolve(base)).toEqual({
      kind: 'failed',
      message: 'constraints not satisfiable: no operators found from catalog mirror in namespace openshift-marketplace referenced by subscription rhods-operator, subscription rhods-operator exists',
    });
    expect(resolve({ ...base, catalog: builtIn(), packageName: 'nope' })).toMatchObject({ message: expect.stringContaining('no operators found in package nope in the catalog referenced by subscription rhods-operator') });
    expect(resolve({ ...base, catalog: builtIn(), channel: 'stable-9.9' })).toMatchObject({ message: expect.stringContaining('no operators found in channel stable-9.9 of package rhods-operator') });
    expect(resolve({ ...base, catalog: builtIn(), startingCSV: 'rhods-operator.3.3.9' })).toMatchObject({ message: expect.stringContaining('no operators found with name rhods-operator.3.3.9 in channel stable-3.3') });
  });
  it('installs the channel head, or the startingCSV, when nothing is installed', () => {
    expect(resolve({ ...base, catalog: builtIn() })).toMatchObject({ kind: 'install', version: '3.3.6' });
    expect(resolve({ ...base, catalog: builtIn(), startingCSV: 'rhods-operator.3.3.2' })).toMatchObject({ kind: 'install', version: '3.3.2' });
  });
});

describe('parseCatalog', () => {
  const yaml = [
    '---',
    'schema: olm.package',
    'name: demo',
    'defaultChannel: stable',
    '---',
    'schema: olm.channel',
    'package: demo',
    'name: stable',
    'entries:',
    '  - { name: demo.v1.0.0 }',
    '  - { name: demo.v1.1.0, replaces: demo.v1.0.0, skipRange: ">=1.0.0 <1.1.0" }',
    '---',
    'schema: olm.bundle',
    'package: demo',
    'name: demo.v1.0.0',
    'properties: [{ type: olm.package, value: { packageName: demo, version: 1.0.0 } }]',
    '---',
    'schema: olm.bundle',
    'package: demo',
    'name: demo.v1.1.0',
    'properties: [{ type: olm.package, value: { packageName: demo, version: 1.1.0 } }]',
    '---',
    'schema: olm.deprecations',
    'package: demo',
    '',
  ].join('\n');

  it('reads YAML documents and the JSON stream opm render prints alike', () => {
    const fromYaml = parseCatalog(yaml, 'c.yaml');
    expect(fromYaml.problems).toEqual([]);
    const json = yaml
      .split('---\n')
      .filter((d) => d.trim())
      .map((d) => JSON.stringify(parseYamlDoc(d), null, 2))
      .join('\n');
    const fromJson = parseCatalog(json, 'c.json');
    expect(fromJson.problems).toEqual([]);
    const shape = (c: Catalog): unknown => [...c.packages.values()].map((p) => ({ ...p, at: undefined, channels: [...p.channels.values()].map((ch) => ({ ...ch, at: undefined })), bundles: [...p.bundles.keys()] }));
    expect(shape(fromJson.catalog)).toEqual(shape(fromYaml.catalog));
  });

  it('points at the line and column of what is wrong', () => {
    const bad = yaml.replace('skipRange: ">=1.0.0 <1.1.0"', 'skipRange: "not a range"').replace('name: demo.v1.0.0\nproperties', 'name: demo.v1.0.0\nprops');
    const { problems } = parseCatalog(bad, 'site.yaml');
    expect(problems.map((p) => `${p.at?.file}:${p.at?.line}:${p.at?.column} ${p.message}`)).toEqual([
      'site.yaml:11:60 olm.channel stable: demo.v1.1.0: skipRange "not a range" is not a semver range',
      'site.yaml:13:1 olm.bundle demo.v1.0.0 has no olm.package property with a version',
      'site.yaml:6:1 channel stable of package demo lists demo.v1.0.0, which has no olm.bundle document',
    ]);
  });

  it('says which document lacks its olm.package, with the filter that keeps it', () => {
    const { problems } = parseCatalog(yaml.replace('schema: olm.package\nname: demo\ndefaultChannel: stable\n', 'schema: olm.package\nname: other\n'), 'f.yaml');
    expect(problems[0]?.message).toContain('olm.channel stable belongs to package demo, which has no olm.package document');
    expect(problems[0]?.hint).toContain('select(.package=="demo" or .name=="demo")');
  });

  it('reports a JSON object that is never closed where it opened', () => {
    const { problems } = parseCatalog('{"schema": "olm.package", "name": "a"}\n\n  {"schema": "olm.channel"', 'x.json');
    expect(problems).toEqual([{ message: 'syntax: the JSON object opened here is never closed', at: { file: 'x.json', line: 3, column: 3 } }]);
  });
});
