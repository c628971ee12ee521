// Required vars that nothing gives a value: the root runbook's (given on the command line, in a
// vars file or the environment) and each import's (bound by the importer, or passed on by name).
import type { LoadSession } from './load-session.js';
import { qualifiersOf } from './var-addressing.js';

export function checkRequiredVars(session: LoadSession): void {
  const provided = session.options.provided ?? {};
  for (const v of session.scopes['']?.vars ?? []) {
    if (v.required && v.default === undefined && provided[v.name] === undefined) {
      session.problems.push({
        message: `missing required var "${v.name}"${v.description ? ` (${v.description})` : ''}`,
        hint: `give it with --var ${v.name}=VALUE, in a --vars-file, or as RUNBOOK_VAR_${v.name}`,
        at: v.at,
      });
    }
  }
  for (const scope of Object.values(session.scopes)) {
    if (scope.id === '') continue;
    // A var the importer declares under the same name is passed on (inheritance by name).
    const parentNames = session.varNames(scope.parent ?? '');
    let qualifiers: string[] | undefined;
    // Given from the top, by its plain name or a qualified one, it needs no binding.
    const givenFromTop = (name: string) => provided[name] !== undefined || (qualifiers ??= qualifiersOf(scope, session)).some((q) => provided[`${q}.${name}`] !== undefined);
    for (const v of scope.vars) {
      if (v.required && v.default === undefined && !(v.name in scope.bindings) && !parentNames.has(v.name) && !givenFromTop(v.name)) {
        session.problems.push({
          message: `import of ${session.display(scope.file)}: missing required var "${v.name}"${v.description ? ` (${v.description})` : ''}`,
          hint: `bind it under vars: of the import, e.g. vars: { ${v.name}: "..." }, or declare a var "${v.name}" in the importing runbook: a var of the same name is passed on`,
          at: session.importSites.get(scope.id) ?? v.at,
        });
      }
    }
  }
}
