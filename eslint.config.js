import { configPkg } from '@adonisjs/eslint-config'

export default configPkg({
  ignores: ['build/**', 'tmp/**', 'tests/tmp/**', 'bench/results/**', 'resources/**'],
})
