// Layers that point one way (issue 12 part 2): no import cycles under engine/ and electron/ (type-only imports count:
// they are how one layer comes to depend on another's types), the inference core imports nothing from the app
// (electron/, engine/service, engine/cli), and the app service nothing from the CLI. dependency-cruiser reads the
// imports the way TypeScript resolves them.
import { cruise, type IForbiddenRuleType, type IViolation } from 'dependency-cruiser';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

const rules: IForbiddenRuleType[] = [
  { name: 'no-cycle', severity: 'error', from: { path: '^(engine|electron)/' }, to: { circular: true } },
  { name: 'core-imports-no-app', severity: 'error', from: { path: '^engine/core/' }, to: { path: '^(electron|engine/service|engine/cli)/' } },
  { name: 'service-imports-no-cli', severity: 'error', from: { path: '^engine/service/' }, to: { path: '^engine/cli/' } },
];

/** One line per violation; a cycle is written once, from its alphabetically first module. */
function describeViolation(v: IViolation): string {
  if (v.rule.name === 'no-cycle' && v.cycle?.length) {
    const ring = [v.from, ...v.cycle.map((c) => c.name)];
    ring.pop(); // the cycle ends where it started
    const start = ring.indexOf([...ring].sort()[0]);
    const rotated = [...ring.slice(start), ...ring.slice(0, start)];
    return `no-cycle: ${[...rotated, rotated[0]].join(' -> ')}`;
  }
  return `${v.rule.name}: ${v.from} -> ${v.to}`;
}

async function cruiseRepo(): Promise<{ modules: string[]; violations: string[] }> {
  const result = await cruise(['engine', 'electron'], {
    baseDir: root,
    validate: true,
    ruleSet: { forbidden: rules },
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
  });
  if (typeof result.output === 'string') throw new Error('dependency-cruiser returned text, not a result');
  return {
    modules: result.output.modules.map((m) => m.source),
    violations: [...new Set(result.output.summary.violations.map(describeViolation))].sort(),
  };
}

describe('import structure of engine/ and electron/', () => {
  it('has no cycles, no core -> app imports and no service -> CLI imports', async () => {
    const { modules, violations: found } = await cruiseRepo();
    // The cruise really read the tree (a resolution failure would pass vacuously).
    for (const dir of ['engine/core/', 'engine/service/', 'engine/cli/', 'electron/']) {
      expect(modules.filter((m) => m.startsWith(dir)).length, dir).toBeGreaterThan(5);
    }
    expect(modules).toContain('electron/contract.ts');
    expect(found).toEqual([]);
  }, 120_000);
});
