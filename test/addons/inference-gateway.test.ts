import { parse } from 'yaml';
import * as fs from 'fs';
import * as path from 'path';
import { CertManagerIssuerKind, GatewayCertificate, InferenceGateway } from '../../lib';
import { crdProblems } from '../crd-schema';
import { GATEWAY_CONTAINER_PORT, GATEWAY_POD_LABELS, inferencePoolCrd } from '../../lib/addons/inference-gateway/inference-gateway';
import { aksCluster, eksCluster } from '../tenancy/fixtures';
import { awsStack, azureStack, problemLines, resources, synthJson } from '../helpers';

const releases = (doc: any) => Object.values<any>(resources(doc, 'helm_release'));
const release = (doc: any, name: string) => releases(doc).find((r) => r.name === name);
const byKind = (gw: InferenceGateway, kind: string) => gw.manifests.find((m) => m.kind === kind)!;

describe('InferenceGateway on EKS, defaults', () => {
  const stack = awsStack();
  const cluster = eksCluster(stack);
  const gw = new InferenceGateway(stack, 'Gateway', { cluster });
  const doc = synthJson(stack);

  test('an internal NLB, no source ranges', () => {
    const service = byKind(gw, 'EnvoyProxy').spec.provider.kubernetes.envoyService;
    expect(service.annotations).toEqual({
      'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb',
      'service.beta.kubernetes.io/aws-load-balancer-internal': 'true',
    });
    expect(service.loadBalancerSourceRanges).toBeUndefined();
    expect(gw.isPublic).toBe(false);
  });

  test("one TLS listener from a Secret the user names, routes from RagStack's namespaces only", () => {
    const [listener] = byKind(gw, 'Gateway').spec.listeners;
    expect(listener).toMatchObject({
      protocol: 'HTTPS',
      port: 443,
      tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: 'inference-gateway-tls' }] },
    });
    expect(listener.allowedRoutes.namespaces).toEqual({
      from: 'Selector',
      // Not the platform label every namespace of the library (tenants' too) carries.
      selector: { matchLabels: { 'ai-platform.io/inference-gateway-routes': 'true' } },
    });
    // No key material anywhere in the output.
    expect(JSON.stringify(doc)).not.toMatch(/BEGIN (RSA |EC )?PRIVATE KEY/);
  });

  test('a Gateway-wide policy denies what no route policy admits', () => {
    const deny = gw.manifests.find((m) => m.kind === 'SecurityPolicy')!;
    expect(deny.spec).toEqual({
      targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'inference-gateway' }],
      authorization: { defaultAction: 'Deny' },
    });
  });

  test('CRDs first, then controllers, then objects', () => {
    const crd = release(doc, 'inference-pool-crd');
    const eg = release(doc, 'eg');
    const objects = release(doc, 'inference-gateway');
    const ref = (r: string) => `helm_release.${Object.entries(resources(doc, 'helm_release')).find(([, v]) => (v as any).name === r)![0]}`;
    expect(eg.depends_on).toContain(ref('inference-pool-crd'));
    expect(objects.depends_on).toEqual(expect.arrayContaining([ref('eg')]));
    expect(crd.chart).toMatch(/^\.\/assets\//);
    // Kept on uninstall: deleting the CRD would delete every InferencePool of the cluster.
    expect(parse(crd.values[0]).manifests[0].metadata.annotations).toMatchObject({ 'helm.sh/resource-policy': 'keep' });
    expect(eg).toMatchObject({ chart: 'gateway-helm', repository: 'oci://docker.io/envoyproxy', version: 'v1.9.0' });
  });

  test('no extension server and no EnvoyPatchPolicy: only the Backend API is enabled', () => {
    const config = gw.envoyGateway.values.config.envoyGateway;
    expect(config.extensionManager).toBeUndefined();
    expect(config.extensionApis).toEqual({ enableBackend: true });
  });

  test('rate limits run before the endpoint picker is called', () => {
    expect(byKind(gw, 'EnvoyProxy').spec.filterOrder).toEqual([
      { name: 'envoy.filters.http.local_ratelimit', before: 'envoy.filters.http.ext_proc' },
    ]);
  });

  test('two controllers that a drain cannot both take', () => {
    expect(gw.envoyGateway.values.deployment.replicas).toBe(2);
    expect(gw.envoyGateway.values.podDisruptionBudget).toEqual({ minAvailable: 1 });
  });

  test('controllers, the certgen hook job and Envoy run on the system pool', () => {
    const selector = cluster.systemNodeSelector;
    expect(gw.envoyGateway.values.deployment.pod.nodeSelector).toEqual(selector);
    expect(gw.envoyGateway.values.certgen.job.nodeSelector).toEqual(selector);
    expect(byKind(gw, 'EnvoyProxy').spec.provider.kubernetes.envoyDeployment.pod.nodeSelector).toEqual(selector);
  });

  test("Envoy's listener port is open in the gateway namespace", () => {
    const open = Object.values<any>(resources(doc, 'kubernetes_network_policy_v1')).find(
      (p) => p.metadata.namespace === 'envoy-gateway-system' && p.metadata.name === `allow-port-${GATEWAY_CONTAINER_PORT}`,
    );
    expect(open.spec.pod_selector.match_labels).toEqual(GATEWAY_POD_LABELS);
  });

  test('the vendored InferencePool CRD serves v1', () => {
    const crd = inferencePoolCrd();
    expect(crd.spec.group).toBe('inference.networking.k8s.io');
    expect(crd.spec.versions.filter((v: any) => v.served).map((v: any) => v.name)).toEqual(['v1']);
  });
});

test('the InferencePool CRD can be left to whatever already manages it', () => {
  const stack = awsStack();
  new InferenceGateway(stack, 'Gateway', { cluster: eksCluster(stack), installInferencePoolCrd: false });
  const doc = synthJson(stack);
  expect(release(doc, 'inference-pool-crd')).toBeUndefined();
  expect(release(doc, 'eg')).toBeDefined();
  expect(problemLines(stack)).toEqual([]);
});

test('cert-manager issues the certificate when asked: the listener reads the Secret it writes', () => {
  const stack = awsStack();
  const gw = new InferenceGateway(stack, 'Gateway', {
    cluster: eksCluster(stack),
    hostname: 'llm.internal.example.com',
    certificate: GatewayCertificate.certManager({ issuerName: 'internal-ca', issuerKind: CertManagerIssuerKind.ISSUER }),
  });
  const doc = synthJson(stack);
  const objects = parse(release(doc, 'inference-gateway').values[0]).manifests;
  const cert = objects.find((m: any) => m.kind === 'Certificate');
  const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'cert-manager', 'Certificate.json'), 'utf8'));
  expect(crdProblems(schema, cert)).toEqual([]);
  expect(cert.metadata.namespace).toBe('envoy-gateway-system');
  expect(cert.spec.issuerRef).toEqual({ group: 'cert-manager.io', kind: 'Issuer', name: 'internal-ca' });
  // Every name clients use: the host, and the Envoy Service's in-cluster names.
  expect(cert.spec.dnsNames).toEqual([
    'llm.internal.example.com',
    'inference-gateway.envoy-gateway-system.svc.cluster.local',
    'inference-gateway.envoy-gateway-system.svc',
  ]);
  const [listener] = byKind(gw, 'Gateway').spec.listeners;
  expect(listener.tls.certificateRefs).toEqual([{ kind: 'Secret', name: cert.spec.secretName }]);
  expect(cert.spec.privateKey).toEqual({ algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' });
});

test('by default no Certificate: the listener reads a Secret the user creates', () => {
  const stack = awsStack();
  new InferenceGateway(stack, 'Gateway', { cluster: eksCluster(stack) });
  const objects = parse(release(synthJson(stack), 'inference-gateway').values[0]).manifests;
  expect(objects.map((m: any) => m.kind)).not.toContain('Certificate');
});

test('AKS: the internal Azure load balancer', () => {
  const stack = azureStack();
  const gw = new InferenceGateway(stack, 'Gateway', { cluster: aksCluster(stack) });
  expect(byKind(gw, 'EnvoyProxy').spec.provider.kubernetes.envoyService.annotations).toEqual({
    'service.beta.kubernetes.io/azure-load-balancer-internal': 'true',
  });
});

test('public only when asked, with an allow-list', () => {
  const stack = awsStack();
  const gw = new InferenceGateway(stack, 'Gateway', {
    cluster: eksCluster(stack),
    publicAccessCidrs: ['198.51.100.0/24'],
    hostname: 'llm.example.com',
  });
  const service = byKind(gw, 'EnvoyProxy').spec.provider.kubernetes.envoyService;
  expect(service.annotations).toEqual({ 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb' });
  expect(service.loadBalancerSourceRanges).toEqual(['198.51.100.0/24']);
  expect(gw.url).toBe('https://llm.example.com');
  expect(byKind(gw, 'Gateway').spec.listeners[0].hostname).toBe('llm.example.com');
});

test('every problem of the props at once', () => {
  const stack = awsStack();
  new InferenceGateway(stack, 'Gateway', {
    cluster: eksCluster(stack),
    publicAccessCidrs: ['0.0.0.0/0', '10.0.0.300/8'],
    hostname: 'LLM_host',
    replicas: 0,
    certificate: GatewayCertificate.certManager({ issuerName: 'Internal CA', secretName: 'Bad_Name' }),
  });
  const lines = problemLines(stack);
  expect(lines).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/Gateway: publicAccessCidrs '0\.0\.0\.0\/0' opens the gateway to the whole internet; /),
      expect.stringMatching(/Gateway: publicAccessCidrs '10\.0\.0\.300\/8' is not an IPv4 CIDR; /),
      expect.stringMatching(/Gateway: hostname 'LLM_host' is not a DNS name; /),
      expect.stringMatching(/Gateway: replicas 0 /),
      expect.stringMatching(/Gateway: certificate\.secretName 'Bad_Name' /),
      expect.stringMatching(/Gateway: certificate\.issuerName 'Internal CA' /),
    ]),
  );
});

test('an empty allow-list is refused', () => {
  const stack = awsStack();
  new InferenceGateway(stack, 'Gateway', { cluster: eksCluster(stack), publicAccessCidrs: [] });
  expect(problemLines(stack)).toEqual([
    expect.stringMatching(/publicAccessCidrs \[\] opens no network, yet makes the load balancer internet-facing; /),
  ]);
});
