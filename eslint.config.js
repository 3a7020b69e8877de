// Type-aware lint. A Kafka consumer needs no-floating-promises and no-misused-promises on:
// an unawaited send or commit is a lost or duplicated event.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // The console's browser script (plain JS served as is) is outside the TypeScript project.
  { ignores: ['node_modules/**', '.stack/**', 'eslint.config.js', 'services/admin/console/assets/**'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's describe/it return promises the runner itself awaits.
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/only-throw-error': 'error',
      // kafkajs hands eachBatch helpers (resolveOffset, heartbeat, …) as closures in a payload object.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // The Kafka client stays behind our runtime (services/common/kafka), so it can be swapped in one folder.
    files: ['services/**/*.ts'],
    ignores: ['services/common/kafka/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'kafkajs', message: 'Use services/common/kafka (KafkaClient, KafkaAdmin, the runtime).' }] },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
);
