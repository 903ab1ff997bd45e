import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'cdk.out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The cloud's own code is linted with type information (typescript-eslint's type-checked rules).
    files: ['src/**/*.ts'],
    extends: [tseslint.configs.recommendedTypeCheckedOnly],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Off until each place decides how a value that may be an object is written (14 places: protocol/json.ts,
      // protocol/rest-json.ts, cloudformation's values.ts, intrinsics.ts, run.ts, signals.ts, ec2/compute/index.ts).
      '@typescript-eslint/no-base-to-string': 'off',
      // An async function without await still promises its callers a Promise (the runtime is going asynchronous).
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Type-checked rules that fail in files being changed elsewhere at the time of writing; to be fixed there.
    files: ['src/runtime/efs.ts', 'src/cli/**/*.ts', 'src/services/autoscaling/**/*.ts'],
    rules: {
      '@typescript-eslint/no-misused-promises': 'off',
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      '@typescript-eslint/only-throw-error': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
    },
  },
  {
    // Node scripts and tool configuration files (.dependency-cruiser.cjs).
    files: ['scripts/**/*.mjs', '*.cjs'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly', module: 'writable', require: 'readonly' } },
  },
);
