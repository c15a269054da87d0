/**
 * Every object that `kubectl kustomize` renders from deploy/k8s (the base) and deploy/demo/k8s (the
 * demo overlay), validated against real API schemas: the Kubernetes OpenAPI schema as generated into
 * `kubernetes-models` (5.1: the Kubernetes v1.36 API) and KEDA's API types as generated into
 * `@kubernetes-models/keda` (2.0: the KEDA v2.19 API). test/deploy.test.ts checks what the manifests
 * mean; this file checks that a cluster could accept them at all (types, required fields, enums).
 *
 * The schemas allow fields they do not know, so a misspelt optional field is not caught here.
 */
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication';
import { beforeAll, describe, expect, it } from 'vitest';
import { kubectlAvailable, kustomize } from './support/kustomize.js';

/** A generated model class: validate() throws a ValidationError naming the offending path. */
interface ModelClass {
  readonly apiVersion: string;
  readonly kind: string;
  new (data: never): { validate(): void };
}

const KUBERNETES_MODELS: readonly ModelClass[] = [ConfigMap, Secret, Service, Deployment, PodDisruptionBudget];
const KEDA_MODELS: readonly ModelClass[] = [ScaledObject, TriggerAuthentication];
/**
 * apiVersion/kind → the model that validates it, keyed by the classes' own apiVersion and kind. A kind the manifests
 * start using must be added here.
 */
const MODELS: ReadonlyMap<string, ModelClass> = new Map(
  [...KUBERNETES_MODELS, ...KEDA_MODELS].map((model) => [`${model.apiVersion}/${model.kind}`, model]),
);

interface TypedObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
}

function modelFor(object: TypedObject): ModelClass {
  const model = MODELS.get(`${object.apiVersion}/${object.kind}`);
  if (!model)
    throw new Error(
      `no schema model for ${object.apiVersion} ${object.kind} (${object.metadata.name}): add its class to ` +
        `MODELS in test/k8s-schemas.test.ts`,
    );
  return model;
}

/** Validates one rendered object against its schema; throws if it has no model or violates the schema. */
function validateObject(object: TypedObject): ModelClass {
  const model = modelFor(object);
  // The rendered object is untyped data: checking it is what validate() is for.
  new model(object as never).validate();
  return model;
}

const DIRS = ['deploy/k8s', 'deploy/demo/k8s'] as const;
const kubectl = kubectlAvailable();
const skipReason = kubectl ? '' : ' (skipped: kubectl is not on PATH; .ci/run installs it)';

describe.skipIf(!kubectl)(`deploy/k8s and deploy/demo/k8s against the Kubernetes and KEDA schemas${skipReason}`, () => {
  const rendered = new Map<string, TypedObject[]>();
  beforeAll(() => {
    for (const dir of DIRS) rendered.set(dir, kustomize(dir).objects);
  });
  const objects = (dir: string): TypedObject[] => {
    const found = rendered.get(dir);
    if (!found) throw new Error(`${dir} not rendered`);
    return found;
  };
  const first = (dir: string, kind: string): TypedObject => {
    const found = objects(dir).find((object) => object.kind === kind);
    if (!found) throw new Error(`${dir} renders no ${kind}`);
    return found;
  };

  it.each(DIRS)('every object %s renders has a model and passes its schema', (dir) => {
    const all = objects(dir);
    const failures: string[] = [];
    const validated: ModelClass[] = [];
    for (const object of all) {
      try {
        validated.push(validateObject(object));
      } catch (error) {
        failures.push(
          `${object.apiVersion} ${object.kind} ${object.metadata.name}: ` +
            `${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    expect(failures).toEqual([]);
    expect(all.length).toBeGreaterThan(0);
    expect(validated.length, 'objects validated = objects rendered').toBe(all.length);
    // Both validator families took part: the Kubernetes schemas and KEDA's.
    expect(validated.some((model) => KUBERNETES_MODELS.includes(model))).toBe(true);
    expect(validated.some((model) => KEDA_MODELS.includes(model))).toBe(true);
  });

  it(
    'the Kubernetes schemas reject a rendered Deployment with replicas "two", and one whose container has no ' + 'name',
    () => {
      const deployment = structuredClone(first('deploy/k8s', 'Deployment')) as TypedObject & {
        spec: { replicas?: unknown; template: { spec: { containers: { name?: string }[] } } };
      };
      expect(() => validateObject(deployment)).not.toThrow();

      const wrongType = structuredClone(deployment);
      wrongType.spec.replicas = 'two';
      expect(() => validateObject(wrongType)).toThrow(/spec\/replicas must be integer/);

      const unnamed = structuredClone(deployment);
      for (const container of unnamed.spec.template.spec.containers) delete container.name;
      expect(() => validateObject(unnamed)).toThrow(
        /spec\/template\/spec\/containers\/0 must have required property name/,
      );
    },
  );

  it(
    'the KEDA schemas reject a rendered ScaledObject without scaleTargetRef, and one whose trigger metadata ' +
      'holds a number',
    () => {
      const scaled = structuredClone(first('deploy/k8s', 'ScaledObject')) as TypedObject & {
        spec: { scaleTargetRef?: unknown; triggers: { metadata: Record<string, unknown> }[] };
      };
      expect(() => validateObject(scaled)).not.toThrow();

      const untargeted = structuredClone(scaled);
      delete untargeted.spec.scaleTargetRef;
      expect(() => validateObject(untargeted)).toThrow(/spec must have required property scaleTargetRef/);

      const numeric = structuredClone(scaled);
      const [trigger] = numeric.spec.triggers;
      if (!trigger) throw new Error('the ScaledObject has no trigger');
      trigger.metadata.listLength = 16;
      expect(() => validateObject(numeric)).toThrow(/spec\/triggers\/0\/metadata\/listLength must be string/);
    },
  );
});

describe('the schema model table', () => {
  it('fails an object whose apiVersion and kind have no model, naming it', () => {
    expect(() =>
      validateObject({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'turbostream' } }),
    ).toThrow(/no schema model for networking\.k8s\.io\/v1 Ingress \(turbostream\)/);
    // Same kind, other version: the apiVersion is part of the key.
    expect(() =>
      validateObject({
        apiVersion: 'keda.sh/v1beta1',
        kind: 'ScaledObject',
        metadata: { name: 'turbostream-analyzer' },
      }),
    ).toThrow(/no schema model/);
  });
});
