// src loads every CommonJS package through requireCommonJs (src/commonjs.ts), never by `import`: an import
// makes Node run its CommonJS export lexer, which costs the idle agent resident memory (BENCHMARKS.md).
// The source is compiled as tsc would, so imports used only as types are gone, and each remaining package
// specifier is resolved by Node itself, as an `import` would resolve it.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/agent-process.js';

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : []));

/** The bare package specifiers a compiled module imports, statically or with `import()`. */
function importedPackages(file: string): string[] {
  const js = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  const specifiers = [...js.matchAll(/(?:^import\s[^'"]*?from\s*|^import\s*|\bimport\()\s*['"]([^'"]+)['"]/gm)].map((m) => m[1]);
  return specifiers.filter((s) => !s.startsWith('.') && !s.startsWith('node:'));
}

/** Whether Node loads `file` as CommonJS: its extension, else the nearest package.json's type. */
function isCommonJs(file: string): boolean {
  if (file.endsWith('.cjs')) return true;
  if (file.endsWith('.mjs')) return false;
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) return (JSON.parse(readFileSync(pkg, 'utf8')) as { type?: string }).type !== 'module';
  }
  return true;
}

const resolveAsImport = (specifiers: string[]): string[] =>
  JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e',
    `console.log(JSON.stringify(${JSON.stringify(specifiers)}.map((s) => import.meta.resolve(s))))`], { cwd: ROOT, encoding: 'utf8' })) as string[];

describe('CommonJS packages in src', () => {
  const imports = sourceFiles(join(ROOT, 'src')).flatMap((file) => importedPackages(file).map((specifier) => ({ file: file.slice(ROOT.length + 1), specifier })));

  it('finds the ES module packages src imports, so the scan sees imports at all', () => {
    expect(imports.map((i) => i.specifier)).toContain('aedes');
  });

  it('imports none of them: each one is loaded by requireCommonJs', () => {
    const urls = resolveAsImport(imports.map((i) => i.specifier));
    const commonJs = imports.filter((_, n) => isCommonJs(fileURLToPath(urls[n])));
    expect(commonJs).toEqual([]);
  });
});
