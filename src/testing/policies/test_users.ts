import type { SourcePosition } from '../../errors.ts'
import { closestName } from '../../policies/closest_name.ts'
import type { UserShape } from '../../policies/user_shape.ts'
import type { PolicyTestCase } from './test_file.ts'

/**
 * Fields of the test users that the real user never has (a typo such as
 * `rol: admin` would make a case test another user than it says), once
 * per place they are written
 */
export function unknownTestUserFields(
  cases: PolicyTestCase[],
  shape: UserShape | null
): Array<{ position: SourcePosition; message: string }> {
  if (!shape) return []
  const seen = new Set<string>()
  const warnings: Array<{ position: SourcePosition; message: string }> = []
  for (const { user, userPosition } of cases) {
    if (!user || !userPosition) continue
    const place = `${userPosition.file}:${userPosition.line}:${userPosition.column}`
    if (seen.has(place)) continue
    seen.add(place)
    for (const field of Object.keys(user)) {
      if (field in shape.fields) continue
      const guess = shape.hidden.includes(field)
        ? null
        : closestName(field, Object.keys(shape.fields))
      warnings.push({
        position: userPosition,
        message: shape.hidden.includes(field)
          ? `test user has "${field}", hidden from serialization in ${shape.source}: rules never see it`
          : `test user has "${field}", a field ${shape.source} does not have${guess ? ` (did you mean "${guess}"?)` : ''}`,
      })
    }
  }
  return warnings
}
