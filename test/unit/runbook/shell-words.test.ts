// NOTEBOOK_ARGS as workbenches carry it: the words a shell would pass on (quotes, values with
// blanks, one argument per line), and one option taken out with the rest left byte for byte, as
// the runbooks do through the CEL functions shellSplit, hasOption and dropOption.
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/runbook/expressions.js';
import { dropOption, hasOption, shellSplit, shellWords } from '../../../src/runbook/shell-words.js';

const TORNADO = '--ServerApp.tornado_settings';

// The layout the 2.x dashboard writes: one argument per line, indented, '' for empty values.
const DASHBOARD = [
  '--ServerApp.port=8888',
  "                  --ServerApp.token=''",
  "                  --ServerApp.password=''",
  '                  --ServerApp.base_url=/notebook/ds/alice-wb',
  '                  --ServerApp.quit_button=False',
  '                  --ServerApp.tornado_settings={"user":"alice","hub_host":"https://dash.example.com","hub_prefix":"/projects/ds"}',
].join('\n');

describe('shellSplit', () => {
  it('splits on blanks and newlines, and takes quotes and backslashes out', () => {
    expect(shellSplit('a  b\tc\n d\r\ne')).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(shellSplit(`--x='a b' --y="c \\"d\\" $e" --z=f\\ g`)).toEqual(['--x=a b', '--y=c "d" $e', '--z=f g']);
    // Inside double quotes a backslash escapes only $ ` " \ and newline; elsewhere it stays.
    expect(shellSplit('"a\\nb"')).toEqual(['a\\nb']);
    // A backslash-newline joins the lines, inside double quotes and out.
    expect(shellSplit('--a=1\\\n2 "x\\\ny"')).toEqual(['--a=12', 'xy']);
    expect(shellSplit("--token='' ''")).toEqual(['--token=', '']);
    expect(shellSplit('')).toEqual([]);
    expect(shellSplit(' \n ')).toEqual([]);
  });

  it('reads the dashboard layout as its six arguments', () => {
    const words = shellSplit(DASHBOARD);
    expect(words).toHaveLength(6);
    expect(words[1]).toBe('--ServerApp.token=');
    // As a shell reads it, the JSON's quotes are quotes; dropOption works on the text as written.
    expect(words[5]).toBe('--ServerApp.tornado_settings={user:alice,hub_host:https://dash.example.com,hub_prefix:/projects/ds}');
  });

  it('reads a value whose quotes do not pair as the start scripts do: split on blanks, quotes kept', () => {
    expect(shellSplit(`--name=it's --b=1`)).toEqual([`--name=it's`, '--b=1']);
    expect(shellSplit('--a="open --b')).toEqual(['--a="open', '--b']);
    expect(shellSplit('--a=trailing\\')).toEqual(['--a=trailing\\']);
  });

  it('gives each word where it is written', () => {
    expect(shellWords(`a 'b c'  d`)).toEqual([
      { text: 'a', start: 0, end: 1 },
      { text: 'b c', start: 2, end: 7 },
      { text: 'd', start: 9, end: 10 },
    ]);
  });
});

describe('hasOption', () => {
  it('finds the option as name=value or as name, never inside another word', () => {
    expect(hasOption(DASHBOARD, TORNADO)).toBe(true);
    expect(hasOption(`${TORNADO} {}`, TORNADO)).toBe(true);
    expect(hasOption(`'${TORNADO}={"a": 1}'`, TORNADO)).toBe(true);
    expect(hasOption(`--ServerApp.tornado_settings_extra=1`, TORNADO)).toBe(false);
    expect(hasOption(`--note="${TORNADO}=x"`, TORNADO)).toBe(false);
    expect(hasOption('', TORNADO)).toBe(false);
  });
});

describe('dropOption', () => {
  it('takes the last line out of the dashboard layout and leaves the rest byte for byte', () => {
    const out = dropOption(DASHBOARD, TORNADO);
    expect(out).toBe(DASHBOARD.split('\n').slice(0, 5).join('\n'));
    expect(hasOption(out, TORNADO)).toBe(false);
  });

  it('keeps the arguments after it on the same line, which the end-of-line regex would lose', () => {
    const value = `--ServerApp.port=8888 ${TORNADO}='{"user": "dana", "hub_prefix": "/projects/team kueue"}' --ServerApp.quit_button=False\n--ServerApp.base_url=/notebook/team-kueue/dana-wb`;
    expect(dropOption(value, TORNADO)).toBe('--ServerApp.port=8888 --ServerApp.quit_button=False\n--ServerApp.base_url=/notebook/team-kueue/dana-wb');
    // What the shell script's gsub("[\n\r\t ]*--ServerApp\.tornado_settings=[^\n]*"; "") leaves.
    expect(value.replace(/[\n\r\t ]*--ServerApp\.tornado_settings=[^\n]*/g, '')).toBe('--ServerApp.port=8888\n--ServerApp.base_url=/notebook/team-kueue/dana-wb');
  });

  it('takes out a quoted whole argument, the two-word form, the first word and every occurrence', () => {
    expect(dropOption(`--a=1 '${TORNADO}={"x": "y z"}' --b=2`, TORNADO)).toBe('--a=1 --b=2');
    expect(dropOption(`--a=1 ${TORNADO} '{"x": "y z"}' --b=2`, TORNADO)).toBe('--a=1 --b=2');
    expect(dropOption(`${TORNADO}={}\n--b=2`, TORNADO)).toBe('--b=2');
    expect(dropOption(`  ${TORNADO} {} --b=2`, TORNADO)).toBe('  --b=2');
    expect(dropOption(`--a ${TORNADO}={} --b ${TORNADO}={"k":1}\n`, TORNADO)).toBe('--a --b\n');
    expect(dropOption(`${TORNADO}={}`, TORNADO)).toBe('');
  });

  it('leaves a value without the option, and lookalikes, as they are', () => {
    for (const v of ['', '--a=1\n--b=2', '--ServerApp.tornado_settings_x=1', `--note="${TORNADO}=x"`]) expect(dropOption(v, TORNADO)).toBe(v);
  });

  it('is what CEL calls: shellSplit, hasOption and dropOption', () => {
    const env = { value: `--a=1 ${TORNADO}='{"k": "v w"}'\n--b=2` };
    expect(evaluate('shellSplit(value)', env)).toEqual(['--a=1', `${TORNADO}={"k": "v w"}`, '--b=2']);
    expect(evaluate(`hasOption(value, "${TORNADO}")`, env)).toBe(true);
    expect(evaluate(`dropOption(value, "${TORNADO}")`, env)).toBe('--a=1\n--b=2');
    expect(evaluate(`hasOption(dropOption(value, "${TORNADO}"), "${TORNADO}")`, env)).toBe(false);
  });
});
