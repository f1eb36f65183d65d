import { test } from '@japa/runner'
import fc from 'fast-check'
import { originCheck } from '../../../packages/engine/src/connection/origins.ts'

test.group('Embedded server | allowedOrigins', () => {
  test('default and "*" allow any origin', ({ assert }) => {
    for (const check of [originCheck(undefined), originCheck(['https://a.test', '*'])]) {
      assert.isTrue(check('https://evil.example'))
      assert.isTrue(check('null'))
      assert.isTrue(check(undefined))
    }
  })

  test('an origin with a scheme matches that scheme, host and port only', ({ assert }) => {
    const check = originCheck(['https://app.example.com', 'http://localhost:3333'])
    assert.isTrue(check('https://app.example.com'))
    assert.isTrue(check('https://APP.example.com:443'))
    assert.isFalse(check('http://app.example.com'))
    assert.isFalse(check('https://app.example.com:8443'))
    assert.isFalse(check('https://app.example.com.evil.test'))
    assert.isFalse(check('https://evilapp.example.com'))
    assert.isTrue(check('http://localhost:3333'))
    assert.isFalse(check('http://localhost:3334'))
    assert.isFalse(check('http://localhost'))
  })

  test('a bare host matches any scheme and port; "*." matches subdomains only', ({ assert }) => {
    const check = originCheck(['localhost', '*.example.com'])
    assert.isTrue(check('http://localhost:5173'))
    assert.isTrue(check('https://localhost'))
    assert.isTrue(check('https://a.example.com'))
    assert.isTrue(check('https://a.b.example.com:8080'))
    assert.isFalse(check('https://example.com'))
    assert.isFalse(check('https://badexample.com'))
    assert.isFalse(check('https://example.com.evil.test'))
  })

  test('"null", garbage and a scheme-only rule for subdomains', ({ assert }) => {
    const check = originCheck(['https://*.example.com'])
    assert.isTrue(check('https://x.example.com'))
    assert.isFalse(check('http://x.example.com'))
    assert.isFalse(check('null'))
    assert.isFalse(check('%%%'))
    assert.isFalse(check(''))
    assert.isFalse(check('https://'))
    // Not a browser: nothing to protect, let through
    assert.isTrue(check(undefined))
  })

  test('invalid entries are refused when the config is read', ({ assert }) => {
    for (const entry of ['https://a.*.com', 'app.example.com/path', 'https://', '**.x.com']) {
      assert.throws(() => originCheck([entry]), /Invalid entry .* in "allowedOrigins"/)
    }
  })

  test('any string is decided quickly and never throws', ({ assert }) => {
    const check = originCheck(['https://app.example.com', '*.example.com', 'localhost:3333'])
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), (origin) => {
        const started = performance.now()
        check(origin)
        check(`https://${origin}.example.com`)
        return performance.now() - started < 50
      })
    )
    assert.isTrue(check(`https://${'a.'.repeat(5000)}example.com`))
  })
})
