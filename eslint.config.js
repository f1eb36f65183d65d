import { configPkg } from '@adonisjs/eslint-config'

export default configPkg(
  {
    ignores: [
      'build/**',
      'packages/*/build/**',
      'tmp/**',
      'tests/tmp/**',
      'bench/results/**',
      'resources/**',
      'database/schema.ts',
    ],
  },
  {
    // As configApp: @inject() reads constructor types at run time, so their imports stay values
    languageOptions: {
      parserOptions: { experimentalDecorators: true, emitDecoratorMetadata: true },
    },
  },
  {
    files: ['tests/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@unicorn/no-await-expression-member': 'off',
    },
  }
)
