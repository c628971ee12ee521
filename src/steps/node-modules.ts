// Node's own modules that only some steps use, loaded by the first step that needs one: a
// `validate`, or a run without such steps, never does. http, https, net and tls cost about 5 ms of
// every start, child_process (with net, dgram and the streams) about 3. By require: an import() of
// Node's own modules would stay one in the command line's bundle, which a vm.Script runs.
import { createRequire } from 'node:module';

export type LazyNodeModule = 'node:child_process' | 'node:http' | 'node:https' | 'node:net' | 'node:tls';

export function nodeModule<T>(name: LazyNodeModule): T {
  return createRequire(import.meta.url)(name) as T;
}
