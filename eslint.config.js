// The lint `npm test` runs: the TypeScript rules that catch dead code, and the walls between the
// rooms of src/ as import rules, so a wall cannot move back silently:
//   contract  shared types and errors; imports no other room
//   kube      the Kubernetes library; imports contract only
//   runbook   the runbook format, loading, templates, expressions; imports contract only
//   engine    runs a plan, emits events; knows no step, no kube, no CLI
//   steps     step types over kube and runbook; never the engine's internals or the CLI
//   report    built from engine state and events; never the CLI
//   cli, sandbox, docs, build: the outer rooms, which may import the inner ones (build: what
//   `npm run build` generates from the sources)
import tseslint from 'typescript-eslint';

const room = (name) => [`**/${name}/**`, `**/${name}/*.js`, `**/${name}/*.ts`];
const walls = {
  contract: ['engine', 'kube', 'runbook', 'steps', 'report', 'cli', 'sandbox', 'docs', 'build'],
  kube: ['engine', 'runbook', 'steps', 'report', 'cli', 'sandbox', 'docs', 'build'],
  runbook: ['engine', 'kube', 'steps', 'report', 'cli', 'sandbox', 'docs', 'build'],
  engine: ['kube', 'steps', 'report', 'cli', 'sandbox', 'docs', 'build'],
  steps: ['engine', 'report', 'cli', 'sandbox', 'docs', 'build'],
  report: ['cli', 'sandbox', 'steps', 'kube', 'docs', 'build'],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '**/*.js', '!eslint.config.js'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  ...Object.entries(walls).map(([name, forbidden]) => ({
    files: [`src/${name}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: forbidden.map((other) => ({
            group: [`../${other}/*`, `../../${other}/*`, `../../../${other}/*`],
            message: `src/${name} may not import src/${other} (the walls are listed at the top of eslint.config.js)`,
          })),
        },
      ],
    },
  })),
);
