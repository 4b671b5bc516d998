import tseslint from 'typescript-eslint';

const apps = ['gateway', 'catalog', 'ordering', 'billing', 'delivery'];

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
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: apps.filter((a) => a !== app).flatMap((a) => [`**/apps/${a}/**`, `**/${a}/src/**`]),
              message: 'Apps talk over NATS through @trove/contracts, never by importing each other.',
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
);
