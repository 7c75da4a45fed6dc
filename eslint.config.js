import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Core modules: they may import plugin *types* from src/core/plugin.ts, never a plugin or the composition root. */
const core = ['src/core/**', 'src/run/**', 'src/experiment/**', 'src/hypotheses/evaluate.ts', 'src/hypotheses/metric.ts', 'src/capacity.ts', 'src/variants.ts'];

const pluginImports = [
  { regex: '(^|/)plugins\\.js$', message: 'the core is given its plugins (a Catalog); only commands and tests import the composition root' },
  {
    regex:
      '/(faults/(?!types|environment|local-only)[\\w-]+|hypotheses/builtins/[\\w-]+|cluster/(local|kind|existing)|metrics/(sinks|scrapers)/[\\w-]+|load/agents/(kubelet|kube-proxy|cni-agent))\\.js$',
    message: 'plugins depend on the core, never the reverse',
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Read at once: a longer function takes an eslint-disable comment saying why.
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }],
    },
  },
  {
    files: core,
    rules: { 'no-restricted-imports': ['error', { patterns: pluginImports }] },
  },
  {
    // src/core declares the interfaces its plugins are handed (ApiClient, AgentFleet, ...); the classes implementing them import it, not the reverse.
    files: ['src/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...pluginImports,
            {
              regex: '^\\.\\./(load|metrics|hypotheses|faults|run|report|profile|commands|cluster|binaries)/',
              message: 'src/core declares the interface it needs; the implementation satisfies it',
            },
          ],
        },
      ],
    },
  },
);
