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
    // The no-unsafe-* rules are on everywhere else: operation inputs and outputs are typed from the models
    // (scripts/gen-types.mjs; Cloud.invoke is typed by them). These files still use `any` values (mostly the results
    // of ProviderContext.invoke and template properties in CloudFormation providers): 336 hits, by file below. A file
    // leaves this list once it is typed; none joins it.
    files: [
      'src/services/ec2/network/cfn/vpc.ts', // 50
      'src/services/iam/cfn.ts', // 47
      'src/services/cloudformation/template/parameters.ts', // 36
      'src/services/cloudwatch/alarm-model.ts', // 29
      'src/services/ec2/network/cfn/network-acl.ts', // 26
      'src/services/efs/cfn/access-point.ts', // 22
      'src/services/autoscaling/cfn/ScalingPolicy.ts', // 19
      'src/services/cloudwatch/cfn-alarm.ts', // 17
      'src/services/autoscaling/capacity.ts', // 15
      'src/services/ec2/network/cfn/eip.ts', // 15
      'src/services/ec2/network/cfn/routing.ts', // 14
      'src/services/efs/cfn/mount-target.ts', // 13
      'src/services/ec2/network/cfn/security-group.ts', // 12
      'src/services/efs/cfn/file-system.ts', // 10
      'src/services/autoscaling/cfn/LaunchConfiguration.ts', // 7
      'src/services/efs/cfn/common.ts', // 2
      'src/services/autoscaling/cfn/WarmPool.ts', // 1
      'src/services/autoscaling/cfn/rolling-update.ts', // 1
    ],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Node scripts and tool configuration files (.dependency-cruiser.cjs).
    files: ['scripts/**/*.mjs', '*.cjs'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly', module: 'writable', require: 'readonly' } },
  },
);
