/**
 * The Helm chart (deploy/helm/hookline), checked without a cluster: `helm lint --strict`, `helm
 * template` of the default values and of each example, every rendered manifest validated against
 * the Kubernetes API schemas (kubernetes-validate, which ships them), KEDA and Prometheus Operator
 * resources against their CRD schemas (@kubernetes-models), values that break "replicas ≤
 * partitions" refused, and each Deployment's environment run through the service's own config
 * validation (so a variable the chart misses, misspells or sets to a bad value fails here).
 * helm and kubernetes-validate are installed and cached by deploy/helm/tools.sh.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { before, describe, it } from 'node:test';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { parse, parseAllDocuments } from 'yaml';
import { adminSpec } from '../../services/admin/config.ts';
import { baseSpec, readConfig, type Spec } from '../../services/common/config.ts';
import { CONNECTION_SECRETS, connections, connectionSpec } from '../../services/common/connections/index.ts';
import { dispatcherSpec } from '../../services/dispatcher/config.ts';
import { ingressSpec } from '../../services/ingress/config.ts';
import { processorsSpec } from '../../services/processors/service.ts';
import { sequencerSpec } from '../../services/sequencer/service.ts';
import { validatorSpec } from '../../services/validator/service.ts';
import { strimziTopics } from '../../scripts/strimzi-topics.ts';
import { ROOT } from '../helpers/services.ts';

const run = promisify(execFile);
const CHART = `${ROOT}deploy/helm/hookline`;
const KUBE_VERSION = '1.33.0';
const EXAMPLES = readdirSync(`${CHART}/examples`).filter((f) => f.endsWith('.yaml'));
const SPECS: Record<string, Spec> = {
  ingress: ingressSpec,
  validator: validatorSpec,
  sequencer: sequencerSpec,
  processors: processorsSpec,
  dispatcher: dispatcherSpec,
  admin: adminSpec,
};

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown>;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}
interface DeploymentSpec {
  template: { spec: { containers: { args: string[]; env: EnvVar[] }[] } };
}

let helm = '';
let validate = '';
const tool = async (name: string) =>
  (await run('bash', [`${ROOT}deploy/helm/tools.sh`, name], { timeout: 1_800_000 })).stdout.trim();

async function template(args: string[] = []): Promise<Manifest[]> {
  const { stdout } = await run(helm, ['template', 'hl', CHART, '--kube-version', KUBE_VERSION, ...args], {
    maxBuffer: 32 << 20,
  });
  return parseAllDocuments(stdout)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

const CRD_KINDS = new Set(['ScaledObject', 'ServiceMonitor', 'PrometheusRule']);

describe('helm chart deploy/helm/hookline', () => {
  before(async () => {
    helm = await tool('helm');
    validate = await tool('validate');
  });

  it('passes helm lint --strict', async () => {
    const { stdout } = await run(helm, ['lint', '--strict', CHART, '--kube-version', KUBE_VERSION]);
    assert.match(stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  for (const values of ['(defaults)', ...EXAMPLES]) {
    it(`renders ${values}: valid Kubernetes, KEDA and Prometheus Operator resources`, async () => {
      const docs = await template(values === '(defaults)' ? [] : ['-f', `${CHART}/examples/${values}`]);
      const kinds = docs.map((d) => d.kind);
      for (const k of ['Deployment', 'PodDisruptionBudget', 'ScaledObject', 'HorizontalPodAutoscaler', 'NetworkPolicy'])
        assert.ok(kinds.includes(k), `renders a ${k}`);
      assert.equal(kinds.filter((k) => k === 'Deployment').length, 6, 'one Deployment per service');

      const dir = mkdtempSync(join(tmpdir(), 'hookline-helm-'));
      const builtIn = docs.filter((d) => !CRD_KINDS.has(d.kind));
      const file = join(dir, 'builtin.json');
      // kubernetes-validate reads YAML; JSON documents are YAML.
      writeFileSync(file, builtIn.map((d) => JSON.stringify(d)).join('\n---\n'));
      const res = await run(validate, ['--strict', '--quiet', '-k', KUBE_VERSION, file]).catch(
        (err: Error & { stdout?: string; stderr?: string }) => ({
          stdout: err.stdout ?? '',
          stderr: err.stderr ?? err.message,
          failed: true,
        }),
      );
      assert.ok(!('failed' in res), `kubernetes-validate: ${res.stdout}${res.stderr}`);

      for (const d of docs.filter((x) => CRD_KINDS.has(x.kind))) {
        const model =
          d.kind === 'ScaledObject'
            ? new ScaledObject(d as never)
            : d.kind === 'ServiceMonitor'
              ? new ServiceMonitor(d as never)
              : new PrometheusRule(d as never);
        assert.doesNotThrow(() => model.validate(), `${d.kind}/${d.metadata.name} matches its CRD schema`);
      }
    });
  }

  it('a CRD schema check would catch a bad resource (the validators are not no-ops)', () => {
    const bad = {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: { name: 'x' },
      spec: { triggers: 'kafka' },
    };
    assert.throws(() => new ScaledObject(bad as never).validate());
  });

  it('refuses more consumer replicas than input partitions', async () => {
    await assert.rejects(
      template(['--set', 'services.dispatcher.keda.maxReplicas=7']),
      /services\.dispatcher\.keda\.maxReplicas \(7\) exceeds the 6 partitions of outbound\.events/,
    );
    await assert.rejects(
      template(['--set', 'partitions.webhooks\\.raw=2']),
      /services\.validator\.keda\.maxReplicas \(6\) exceeds the 2 partitions of webhooks\.raw/,
    );
  });

  it('hardens every pod: non-root, read-only root, no capabilities, probes, grace > 30 s shutdown', async () => {
    for (const d of (await template()).filter((m) => m.kind === 'Deployment')) {
      const pod = (d.spec as { template: { spec: Record<string, unknown> } }).template.spec as {
        terminationGracePeriodSeconds: number;
        securityContext: { runAsNonRoot: boolean };
        containers: {
          securityContext: { readOnlyRootFilesystem: boolean; capabilities: { drop: string[] } };
          livenessProbe: { httpGet: { path: string } };
          readinessProbe: { httpGet: { path: string } };
          resources: { requests: object; limits: object };
        }[];
      };
      const c = pod.containers[0]!;
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.equal(c.securityContext.readOnlyRootFilesystem, true);
      assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
      assert.equal(c.livenessProbe.httpGet.path, '/healthz');
      assert.equal(c.readinessProbe.httpGet.path, '/readyz');
      assert.ok(c.resources.requests && c.resources.limits);
      assert.ok(pod.terminationGracePeriodSeconds > 30, 'longer than runMain’s 30 s forced exit');
    }
  });

  it('the PrometheusRule carries deploy/prometheus/alerts.yml unchanged', async () => {
    const rule = (await template()).find((m) => m.kind === 'PrometheusRule');
    const source = parse(readFileSync(`${ROOT}deploy/prometheus/alerts.yml`, 'utf8')) as { groups: unknown };
    assert.deepEqual(rule?.spec?.groups, source.groups);
  });

  for (const values of ['(defaults)', ...EXAMPLES]) {
    it(`sets every variable each service requires, and only variables it reads (${values})`, async () => {
      const docs = await template(values === '(defaults)' ? [] : ['-f', `${CHART}/examples/${values}`]);
      const dir = mkdtempSync(join(tmpdir(), 'hookline-env-'));
      const pem = join(dir, 'ca.pem');
      writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      const secretFile = join(dir, 'secret');
      writeFileSync(secretFile, 'placeholder-secret\n');
      for (const d of docs.filter((m) => m.kind === 'Deployment')) {
        const c = (d.spec as unknown as DeploymentSpec).template.spec.containers[0]!;
        const service = /services\/([a-z-]+)\/main\.ts/.exec(c.args[0] ?? '')?.[1] ?? '';
        const spec = { ...baseSpec, ...connectionSpec, ...SPECS[service] };
        const known = new Set([...Object.keys(spec), ...CONNECTION_SECRETS.map((s) => `${s}_FILE`)]);
        const env: Record<string, string> = {};
        for (const v of c.env) {
          assert.ok(known.has(v.name), `${service}: ${v.name} is set in the chart but not read by the service`);
          // Files mounted from Secrets do not exist here: stand-ins with the same shape.
          const value = v.valueFrom ? 'placeholder-admin-key-0123456789:*' : (v.value ?? '');
          env[v.name] = v.name.endsWith('_FILE') ? (/_(CA|CERT|KEY)_FILE$/.test(v.name) ? pem : secretFile) : value;
        }
        assert.doesNotThrow(
          () => connections(readConfig(spec, env)),
          `${service} starts with the chart's environment (${values})`,
        );
      }
    });
  }

  it('deploy/strimzi/topics.yaml is what `hookline topics --format strimzi` prints', () => {
    const committed = readFileSync(`${ROOT}deploy/strimzi/topics.yaml`, 'utf8');
    assert.equal(
      committed,
      strimziTopics({ cluster: 'hookline', namespace: 'kafka', prefix: '', replicas: 3, minInsyncReplicas: 2 }),
    );
    const docs = parseAllDocuments(committed).map((d) => d.toJS() as Manifest);
    assert.ok(docs.length > 20 && docs.every((d) => d.kind === 'KafkaTopic'));
  });
});
