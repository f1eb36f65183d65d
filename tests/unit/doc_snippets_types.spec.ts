import { test } from '@japa/runner'
import ts from 'typescript'
import { DOC_APP_FILES, docSnippet } from '../helpers/doc_snippets.ts'

const ROOT = new URL('../../', import.meta.url).pathname

test.group('Docs | app files shown whole', () => {
  test('type-check in an app (the example app, with the snippets laid over its files)', async ({
    assert,
  }) => {
    const overlay = new Map<string, string>()
    for (const [doc, path] of DOC_APP_FILES)
      overlay.set(`${ROOT}${path}`, await docSnippet(doc, path))

    const config = ts.getParsedCommandLineOfConfigFile(`${ROOT}tsconfig.json`, undefined, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'))
      },
    })!
    const host = ts.createCompilerHost(config.options)
    const getSourceFile = host.getSourceFile
    host.getSourceFile = (fileName, language, ...rest) => {
      const text = overlay.get(fileName)
      return text === undefined
        ? getSourceFile(fileName, language, ...rest)
        : ts.createSourceFile(fileName, text, language)
    }
    host.fileExists = (fileName) => overlay.has(fileName) || ts.sys.fileExists(fileName)
    host.readFile = (fileName) => overlay.get(fileName) ?? ts.sys.readFile(fileName)

    // The app files whose declarations the snippets rely on, as tsc has the whole app:
    // the auth guards' user type, and the test context's "assert"
    const app = ['config/auth.ts', 'tests/bootstrap.ts'].map((path) => `${ROOT}${path}`)
    const program = ts.createProgram([...overlay.keys(), ...app], config.options, host)
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((diagnostic) => diagnostic.file && overlay.has(diagnostic.file.fileName))
      .map((diagnostic) => {
        const { line, character } = diagnostic.file!.getLineAndCharacterOfPosition(
          diagnostic.start ?? 0
        )
        return `${diagnostic.file!.fileName.slice(ROOT.length)}:${line + 1}:${character + 1} ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`
      })
    assert.deepEqual(problems, [])
  }).timeout(120_000)
})
