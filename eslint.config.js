import { configPkg } from '@adonisjs/eslint-config'

export default configPkg(
  {
    ignores: [
      'build/**',
      'tmp/**',
      'tests/tmp/**',
      'bench/results/**',
      'resources/**',
      'database/schema.ts',
    ],
  },
  {
    files: ['tests/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@unicorn/no-await-expression-member': 'off',
    },
  }
)
