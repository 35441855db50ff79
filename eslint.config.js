// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Packages that tie code to a platform or an infrastructure; the domain stays free of them. */
const platformPackages = [
  '@slack/*',
  'botbuilder',
  'botbuilder-*',
  'botframework-*',
  'mongodb',
  'node-cron',
  'openai',
  '@seald-io/nedb',
  // Charting: the digest's chart is drawn outside core, behind DigestChartRenderer.
  'echarts',
  'echarts/*',
  '@resvg/*',
];

export default tseslint.config(
  { ignores: ['node_modules', 'dist', 'data', 'coverage', '.ci/tmp'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Core is the domain: it owns the ports it talks through (src/core/ports) and imports nothing
    // else from src/, nor any platform package. Every core file sits one folder below src/core.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: platformPackages,
              message: 'src/core is platform-neutral: talk to the outside through a port.',
            },
            {
              regex: '^\\.\\./\\.\\./',
              message:
                'src/core imports nothing from the rest of src/: put the port it needs in src/core/ports.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/core/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^\\.\\./', message: 'src/core imports nothing from the rest of src/.' },
          ],
        },
      ],
    },
  },
  {
    files: ['tests/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
);
