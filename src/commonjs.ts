// CommonJS packages are loaded with require, never with `import`. For an `import`, Node's ESM loader runs
// its CommonJS export lexer over the package's entry and every file that entry re-exports (qlobber's 30 KB,
// classic-level, pino), and V8 optimises the lexer's hot loop while the agent starts: about 4 MB of resident
// memory that stays (idle RSS, BENCHMARKS.md). test/unit/commonjs-loading.test.ts keeps src to this rule.
import { createRequire } from 'node:module';

export const requireCommonJs: NodeJS.Require = createRequire(import.meta.url);
