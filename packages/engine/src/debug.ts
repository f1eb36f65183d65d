import { debuglog } from 'node:util'

export default debuglog('adonisjs:broadcast')
