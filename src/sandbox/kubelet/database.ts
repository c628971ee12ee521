// A MariaDB / MySQL container of the sandbox: its data, and the client programs the upgrade's
// TrustyAI backup and restore run in it through exec (mariadb-dump or mysqldump to dump a database,
// mariadb or mysql to load a dump and to list its tables), as the companion scripts do
// (red-hat-data-services/rhoai-upgrade-helpers, branch main, trustyai/backup-data.sh and
// trustyai/restore-data.sh: `<dump tool> --skip-lock-tables -u<user> -p<password> <database>`,
// `<client> -u<user> -p<password> <database> < dump.sql`, `<client> ... -N -e 'SHOW TABLES;'`).
//
// A container is a database when its image is a MariaDB or MySQL one (the pipelines server's
// database runs registry.redhat.io/rhel9/mariadb-105, red-hat-data-services/
// data-science-pipelines-operator config/internal/mariadb/default/deployment.yaml.tmpl). On its
// first start it gets the database and the user its environment names (MYSQL_DATABASE, MYSQL_USER,
// MYSQL_PASSWORD, MYSQL_ROOT_PASSWORD, as that Deployment sets them), under /var/lib/mysql/data.
// The sandbox keeps each table as a file of SQL, <data>/<database>/<table>.sql: its CREATE TABLE
// statement, then its INSERT statements. Users and their passwords (hashed) are in
// <data>/mysql/users.json.
//
// The statements run are those of a dump and of the checks: comments, SET, LOCK/UNLOCK TABLES,
// DROP TABLE, CREATE TABLE, INSERT, ALTER TABLE ... DISABLE/ENABLE KEYS, USE, SHOW TABLES, SELECT 1,
// SELECT COUNT(*) FROM a table or from information_schema.tables. Anything else is refused with
// error 1064, and the client stops at the first error, as the mysql client does without --force.
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandIO } from './commands.js';
import { hostPath } from './container-fs.js';

export const DATA_DIR = '/var/lib/mysql/data';
export const CLIENTS = ['mariadb', 'mysql'] as const;
export const DUMPERS = ['mariadb-dump', 'mysqldump'] as const;

/** The database programs an image has: MariaDB images have both names of each, MySQL images the mysql ones. */
export function databasePrograms(image: string | undefined): string[] {
  const name = (image ?? '').toLowerCase().replace(/^.*\//, '');
  if (name.includes('mariadb')) return [...CLIENTS, ...DUMPERS];
  if (name.includes('mysql')) return ['mysql', 'mysqldump'];
  return [];
}

interface User {
  password: string;
  /** Databases the user has all privileges on; '*' for all. */
  databases: string[] | '*';
}

const hash = (password: string): string => createHash('sha256').update(`sandbox-db:${password}`).digest('hex');

/** Creates the data folder from the container's environment, once (a data folder already there is kept). */
export async function initDatabase(root: string, env: Record<string, string>): Promise<void> {
  const data = await hostPath(root, DATA_DIR);
  if (await stat(data).catch(() => undefined)) return;
  const users: Record<string, User> = {};
  const database = env.MYSQL_DATABASE ?? env.MARIADB_DATABASE;
  const user = env.MYSQL_USER ?? env.MARIADB_USER;
  const password = env.MYSQL_PASSWORD ?? env.MARIADB_PASSWORD;
  if (user && password !== undefined) users[user] = { password: hash(password), databases: database ? [database] : [] };
  const rootPassword = env.MYSQL_ROOT_PASSWORD ?? env.MARIADB_ROOT_PASSWORD;
  if (rootPassword !== undefined) users.root = { password: hash(rootPassword), databases: '*' };
  await mkdir(join(data, 'mysql'), { recursive: true, mode: 0o700 });
  if (database) await mkdir(join(data, database), { recursive: true, mode: 0o700 });
  await writeFile(join(data, 'mysql', 'users.json'), JSON.stringify(users, null, 2), { mode: 0o600 });
}

/** A connected session: who, which database. */
interface Session {
  data: string;
  user: string;
  database: string | undefined;
  grants: User['databases'];
}

class SqlError extends Error {
  constructor(
    readonly code: number,
    readonly state: string,
    message: string,
  ) {
    super(message);
  }
}

const denied = (user: string, withPassword: boolean): SqlError => new SqlError(1045, '28000', `Access denied for user '${user}'@'localhost' (using password: ${withPassword ? 'YES' : 'NO'})`);

async function connect(root: string, user: string, password: string | undefined, database: string | undefined): Promise<Session> {
  const data = await hostPath(root, DATA_DIR);
  const users = JSON.parse(await readFile(join(data, 'mysql', 'users.json'), 'utf8').catch(() => '{}')) as Record<string, User>;
  const found = users[user];
  if (!found || found.password !== hash(password ?? '')) throw denied(user, password !== undefined && password !== '');
  const session: Session = { data, user, database: undefined, grants: found.databases };
  if (database !== undefined) await use(session, database);
  return session;
}

async function use(session: Session, database: string): Promise<void> {
  if (session.grants !== '*' && !session.grants.includes(database)) throw new SqlError(1044, '42000', `Access denied for user '${session.user}'@'localhost' to database '${database}'`);
  if (!(await stat(join(session.data, database)).catch(() => undefined))?.isDirectory()) throw new SqlError(1049, '42000', `Unknown database '${database}'`);
  session.database = database;
}

const validName = (n: string): boolean => /^[A-Za-z0-9_$-]{1,64}$/.test(n);

async function tablesOf(session: Session, database = session.database): Promise<string[]> {
  if (!database) throw new SqlError(1046, '3D000', 'No database selected');
  return (await readdir(join(session.data, database)).catch(() => [] as string[])).filter((f) => f.endsWith('.sql')).map((f) => f.slice(0, -4)).sort();
}

function tableFile(session: Session, table: string): string {
  if (!session.database) throw new SqlError(1046, '3D000', 'No database selected');
  if (!validName(table)) throw new SqlError(1103, '42000', `Incorrect table name '${table}'`);
  return join(session.data, session.database, `${table}.sql`);
}

/** Splits SQL text into statements, with the line each starts on; comments are dropped. */
export function splitStatements(sql: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let current = '';
  let line = 1;
  let start = 1;
  let quote: string | undefined;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === '\n') line++;
    if (quote) {
      current += c;
      if (c === '\\' && quote !== '`' && i + 1 < sql.length) {
        current += sql[++i];
        if (sql[i] === '\n') line++;
      } else if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      if (!current.trim()) start = line;
      quote = c;
      current += c;
    } else if ((c === '-' && sql[i + 1] === '-' && /[\s]/.test(sql[i + 2] ?? '\n')) || c === '#') {
      while (i + 1 < sql.length && sql[i + 1] !== '\n') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      // Comments, and MySQL's versioned comments (/*!40101 SET ... */), which a dump uses for session settings.
      const end = sql.indexOf('*/', i + 2);
      const body = sql.slice(i, end < 0 ? sql.length : end + 2);
      line += (body.match(/\n/g) ?? []).length;
      i = end < 0 ? sql.length : end + 1;
    } else if (c === ';') {
      if (current.trim()) out.push({ text: current.trim(), line: start });
      current = '';
    } else {
      if (!current.trim() && !/\s/.test(c)) start = line;
      current += c;
    }
  }
  if (current.trim()) out.push({ text: current.trim(), line: start });
  return out;
}

const ident = '`([^`]+)`|([A-Za-z0-9_$]+)';
const nameOf = (m: RegExpExecArray, at: number): string => m[at] ?? m[at + 1]!;

/** How many rows an INSERT ... VALUES (...), (...) statement holds. */
function rowsIn(insert: string): number {
  const at = /\bVALUES?\b/i.exec(insert);
  if (!at) return 0;
  let depth = 0;
  let rows = 0;
  let quote: string | undefined;
  for (let i = at.index; i < insert.length; i++) {
    const c = insert[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '(') {
      if (depth === 0) rows++;
      depth++;
    } else if (c === ')') depth--;
  }
  return rows;
}

async function tableText(session: Session, table: string): Promise<string> {
  const file = tableFile(session, table);
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) throw new SqlError(1146, '42S02', `Table '${session.database}.${table}' doesn't exist`);
  return text;
}

/** Runs one statement; returns the rows it answers (with their column name), if any. */
async function execute(session: Session, statement: string): Promise<{ column: string; rows: string[] } | undefined> {
  const s = statement.replace(/\s+/g, ' ').trim();
  let m: RegExpExecArray | null;
  if (/^(SET|LOCK TABLES|UNLOCK TABLES|START TRANSACTION|BEGIN|COMMIT)\b/i.test(s)) return undefined;
  if ((m = new RegExp(`^USE (?:${ident})$`, 'i').exec(s))) return void (await use(session, nameOf(m, 1)));
  if (/^SHOW (FULL )?TABLES$/i.test(s)) return { column: `Tables_in_${session.database ?? ''}`, rows: await tablesOf(session) };
  if (/^SELECT 1$/i.test(s)) return { column: '1', rows: ['1'] };
  if ((m = /^SELECT COUNT\(\*\) FROM information_schema\.tables WHERE table_schema ?= ?(?:'([^']*)'|DATABASE\(\))$/i.exec(s))) {
    return { column: 'COUNT(*)', rows: [String((await tablesOf(session, m[1] ?? session.database)).length)] };
  }
  if ((m = new RegExp(`^SELECT COUNT\\(\\*\\) FROM (?:${ident})$`, 'i').exec(s))) {
    const text = await tableText(session, nameOf(m, 1));
    const rows = splitStatements(text).filter((x) => /^INSERT\b/i.test(x.text)).reduce((n, x) => n + rowsIn(x.text), 0);
    return { column: 'COUNT(*)', rows: [String(rows)] };
  }
  if ((m = new RegExp(`^DROP TABLE (IF EXISTS )?((?:(?:${ident})(?: ?, ?)?)+)$`, 'i').exec(s))) {
    const names = [...m[2]!.matchAll(new RegExp(ident, 'g'))].map((x) => x[1] ?? x[2]!);
    const missing: string[] = [];
    for (const n of names) {
      const file = tableFile(session, n);
      if (!(await stat(file).catch(() => undefined))) missing.push(`${session.database}.${n}`);
      else await rm(file);
    }
    if (missing.length && !m[1]) throw new SqlError(1051, '42S02', `Unknown table '${missing.join(',')}'`);
    return undefined;
  }
  if ((m = new RegExp(`^CREATE TABLE (IF NOT EXISTS )?(?:${ident}) ?\\(`, 'i').exec(s))) {
    const table = nameOf(m, 2);
    const file = tableFile(session, table);
    if (await stat(file).catch(() => undefined)) {
      if (m[1]) return undefined;
      throw new SqlError(1050, '42S01', `Table '${table}' already exists`);
    }
    await writeFile(file, `${statement.trim()};\n`, { mode: 0o600 });
    return undefined;
  }
  if ((m = new RegExp(`^(?:INSERT|REPLACE) (?:IGNORE )?INTO (?:${ident})[ (]`, 'i').exec(s))) {
    const table = nameOf(m, 1);
    const text = await tableText(session, table);
    await writeFile(tableFile(session, table), `${text}${statement.trim()};\n`, { mode: 0o600 });
    return undefined;
  }
  if ((m = new RegExp(`^ALTER TABLE (?:${ident}) (DISABLE|ENABLE) KEYS$`, 'i').exec(s))) {
    await tableText(session, nameOf(m, 1));
    return undefined;
  }
  throw new SqlError(1064, '42000', `The sandbox database does not run this statement: ${s.slice(0, 80)}`);
}

interface Options {
  user?: string;
  password?: string;
  database?: string;
  execute?: string;
  skipColumnNames: boolean;
  rest: string[];
}

/** The options of the client and dump programs that the steps and scripts use; others are refused. */
function parseOptions(program: string, args: readonly string[]): Options | string {
  const o: Options = { skipColumnNames: false, rest: [] };
  const ignored = /^--(batch|raw|silent|skip-lock-tables|single-transaction|lock-tables|add-drop-table|add-locks|skip-add-locks|quick|skip-comments|compact|no-tablespaces|routines|triggers|events|skip-ssl|ssl|protocol=.*|host=.*|port=.*|default-character-set=.*|hex-blob|complete-insert|extended-insert|skip-extended-insert|tz-utc|create-options)$/;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (long: string, short: string): string | undefined => {
      if (a.startsWith(`${long}=`)) return a.slice(long.length + 1);
      if (a === long || a === short) return args[++i];
      return a.slice(short.length);
    };
    if (a === '--') {
      o.rest.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('--user') || a.startsWith('-u')) o.user = value('--user', '-u');
    else if (a.startsWith('--password=') || (a.startsWith('-p') && a.length > 2)) o.password = a.startsWith('-p') ? a.slice(2) : a.slice('--password='.length);
    else if (a === '-p' || a === '--password') return 'a password prompt needs a terminal, which the sandbox container has not: give the password in MYSQL_PWD or -p<password>';
    else if (a.startsWith('--database') || a.startsWith('-D')) o.database = value('--database', '-D');
    else if (a.startsWith('--execute') || a.startsWith('-e')) o.execute = value('--execute', '-e');
    else if (a.startsWith('-h') || a.startsWith('-P')) {
      if (a.length === 2) i++;
    } else if (a === '-N' || a === '--skip-column-names') o.skipColumnNames = true;
    else if (/^-[BNrsq]+$/.test(a)) o.skipColumnNames ||= a.includes('N');
    else if (ignored.test(a)) continue;
    else if (a.startsWith('-')) return `unknown option '${a}'`;
    else o.rest.push(a);
  }
  if (o.user === undefined || o.user === '') return `${program} needs -u <user> in the sandbox container`;
  return o;
}

async function readAll(stdin: CommandIO['stdin']): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stdin ?? []) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `mariadb` / `mysql`: runs -e's statements, else standard input's; prints what they answer, tab-separated. */
export async function client(program: string, args: readonly string[], io: CommandIO): Promise<number> {
  const say = (text: string): Promise<void> => io.stderr(Buffer.from(text));
  const o = parseOptions(program, args);
  if (typeof o === 'string') {
    await say(`${program}: ${o}\n`);
    return 2;
  }
  if (o.rest.length > 1) {
    await say(`${program}: only one database can be named\n`);
    return 1;
  }
  let session: Session;
  try {
    session = await connect(io.root, o.user!, o.password ?? io.env?.MYSQL_PWD, o.database ?? o.rest[0]);
  } catch (err) {
    if (!(err instanceof SqlError)) throw err;
    await say(`ERROR ${err.code} (${err.state}): ${err.message}\n`);
    return 1;
  }
  const sql = o.execute ?? (await readAll(io.stdin));
  for (const st of splitStatements(sql)) {
    try {
      const answer = await execute(session, st.text);
      if (answer && (answer.rows.length || !o.skipColumnNames)) {
        await io.stdout(Buffer.from([...(o.skipColumnNames ? [] : [answer.column]), ...answer.rows].map((r) => `${r}\n`).join('')));
      }
    } catch (err) {
      if (!(err instanceof SqlError)) throw err;
      await say(`ERROR ${err.code} (${err.state})${o.execute === undefined ? ` at line ${st.line}` : ''}: ${err.message}\n`);
      return 1;
    }
  }
  return 0;
}

/** `mariadb-dump` / `mysqldump <database> [table...]`: each table's DROP, CREATE and rows, as a dump lays them out. */
export async function dump(program: string, args: readonly string[], io: CommandIO): Promise<number> {
  const o = parseOptions(program, args);
  if (typeof o === 'string') {
    await io.stderr(Buffer.from(`${program}: ${o}\n`));
    return 2;
  }
  const [database, ...only] = o.rest;
  if (!database) {
    await io.stderr(Buffer.from(`Usage: ${program} [OPTIONS] database [tables]\n`));
    return 1;
  }
  let session: Session;
  try {
    session = await connect(io.root, o.user!, o.password ?? io.env?.MYSQL_PWD, database);
  } catch (err) {
    if (!(err instanceof SqlError)) throw err;
    // The dump tools' words for a failed connection (exit 2).
    await io.stderr(Buffer.from(`${program}: Got error: ${err.code}: "${err.message}" when ${err.code === 1045 ? 'trying to connect' : 'selecting the database'}\n`));
    return 2;
  }
  const tables = await tablesOf(session);
  for (const t of only) {
    if (!tables.includes(t)) {
      await io.stderr(Buffer.from(`${program}: Couldn't find table: "${t}"\n`));
      return 2;
    }
  }
  const out: string[] = [`-- ${program} of the sandbox database\n--\n-- Host: localhost    Database: ${database}\n-- ------------------------------------------------------\n`];
  out.push('/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n/*!40101 SET NAMES utf8mb4 */;\n/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;\n');
  for (const table of only.length ? only : tables) {
    const statements = splitStatements(await tableText(session, table));
    const create = statements.filter((s) => /^CREATE TABLE\b/i.test(s.text));
    const inserts = statements.filter((s) => /^(INSERT|REPLACE)\b/i.test(s.text));
    out.push(`\n--\n-- Table structure for table \`${table}\`\n--\n\nDROP TABLE IF EXISTS \`${table}\`;\n${create.map((s) => `${s.text};\n`).join('')}`);
    out.push(`\n--\n-- Dumping data for table \`${table}\`\n--\n\nLOCK TABLES \`${table}\` WRITE;\n/*!40000 ALTER TABLE \`${table}\` DISABLE KEYS */;\n`);
    out.push(inserts.map((s) => `${s.text};\n`).join(''));
    out.push(`/*!40000 ALTER TABLE \`${table}\` ENABLE KEYS */;\nUNLOCK TABLES;\n`);
  }
  out.push('/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;\n/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;\n\n-- Dump completed\n');
  await io.stdout(Buffer.from(out.join('')));
  return 0;
}

/**
 * Runs SQL in a database container as a program connected with these credentials would (what a
 * service does when it creates its tables); the error in the client's words, or undefined.
 */
export async function runSql(root: string, credentials: { user: string; password: string; database: string }, sql: string): Promise<string | undefined> {
  try {
    const session = await connect(root, credentials.user, credentials.password, credentials.database);
    for (const st of splitStatements(sql)) await execute(session, st.text);
    return undefined;
  } catch (err) {
    if (!(err instanceof SqlError)) throw err;
    return `ERROR ${err.code} (${err.state}): ${err.message}`;
  }
}

/** The tables of a database, or undefined when the credentials do not open it. */
export async function listTables(root: string, credentials: { user: string; password: string; database: string }): Promise<string[] | undefined> {
  try {
    return await tablesOf(await connect(root, credentials.user, credentials.password, credentials.database));
  } catch (err) {
    if (err instanceof SqlError) return undefined;
    throw err;
  }
}
