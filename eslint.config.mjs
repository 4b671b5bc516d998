import tseslint from 'typescript-eslint';

const apps = ['gateway', 'catalog', 'ordering', 'billing', 'delivery'];

/** The import pattern that keeps `app` from importing any other app. */
function otherApps(app) {
  return {
    group: apps.filter((a) => a !== app).flatMap((a) => [`**/apps/${a}/**`, `**/${a}/src/**`]),
    message: 'Apps talk over NATS through @trove/contracts, never by importing each other.',
  };
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'scripts/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // Apps know each other only through libs/contracts: an app importing another app, or a
  // library importing any app, does not pass lint.
  ...apps.map((app) => ({
    files: [`apps/${app}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', { patterns: [otherApps(app)] }],
    },
  })),
  // Inside the gateway, imports go one way: identity -> audit -> auth. auth (who is calling
  // and may they) imports neither audit nor identity; audit imports auth, never identity.
  ...[
    ['auth', ['audit', 'identity']],
    ['audit', ['identity']],
  ].map(([folder, below]) => ({
    files: [`apps/gateway/src/${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            otherApps('gateway'),
            {
              group: below.flatMap((b) => [`../${b}/*`, `**/gateway/src/${b}/**`]),
              message: `Gateway imports go identity -> audit -> auth: ${folder}/ does not import ${below.map((b) => `${b}/`).join(' or ')}.`,
            },
          ],
        },
      ],
    },
  })),
  {
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/apps/**'], message: 'Libraries never depend on apps.' }] },
      ],
    },
  },
  // One way to a transaction (docs/unit-of-work.md): UnitOfWork.run / read, and repositories
  // that extend TransactionalRepository. Only libs/messaging opens transactions itself.
  {
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    ignores: ['libs/messaging/src/**', '**/migrations/**', '**/test/**', '**/*.spec.ts', '**/*.test.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name='transaction']",
          message: 'Use UnitOfWork.run(async (tx) => ...): it joins an outer unit, writes the outbox and the audit record in the same transaction and refuses to commit past the deadline.',
        },
        {
          selector: "Decorator[expression.callee.name='InjectDataSource']",
          message: 'Repositories extend TransactionalRepository and take their EntityManager from the unit of work; nothing else needs the DataSource.',
        },
      ],
    },
  },
);
