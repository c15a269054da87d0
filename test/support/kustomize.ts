import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { REPO_ROOT } from './service-process.js';

const Meta = z.object({
  name: z.string(),
  namespace: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
});
/** What every Kubernetes object has: apiVersion, kind and a named metadata. */
export const K8sObject = z.object({ apiVersion: z.string(), kind: z.string(), metadata: Meta });

/** Whether `kubectl` (which renders the kustomize manifests) is on PATH. */
export function kubectlAvailable(): boolean {
  return spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
}

/**
 * The objects `kubectl kustomize <dir>` renders (`dir` relative to the repository), one per YAML
 * document, each with its other fields kept; `all` and `one` pick objects of a kind and parse them.
 */
export function kustomize(dir: string) {
  const result = spawnSync('kubectl', ['kustomize', join(REPO_ROOT, dir)], { encoding: 'utf8' });
  expect(result.stderr).toBe('');
  expect(result.status, `kubectl kustomize ${dir}`).toBe(0);
  const objects = parseAllDocuments(result.stdout).map((document) => K8sObject.passthrough().parse(document.toJS()));
  const all = <T extends z.ZodType>(kind: string, schema: T): z.infer<T>[] =>
    objects.filter((object) => object.kind === kind).map((object) => schema.parse(object));
  const one = <T extends z.ZodType>(kind: string, schema: T, name: string): z.infer<T> => {
    const found = objects.find(
      (object) =>
        object.kind === kind && (object.metadata.name === name || object.metadata.name.startsWith(`${name}-`)),
    );
    if (!found) throw new Error(`${dir} renders no ${kind} ${name}`);
    return schema.parse(found);
  };
  return { objects, all, one };
}
