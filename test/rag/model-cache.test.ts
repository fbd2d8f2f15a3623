import { App, TerraformStack, Testing } from 'cdktf';
import { RagAwsStack } from '../../examples/rag-aws/stack';
import { RagAzureStack } from '../../examples/rag-azure/stack';
import {
  Cloud,
  EmbeddingModel,
  EndpointAccess,
  Gpu,
  GpuInferenceCluster,
  GpuNodePool,
  LlmModel,
  RagStack,
  ServedModel,
  VectorStore,
} from '../../lib';
import { STAGING_IMAGE, stagingScript } from '../../lib/rag/model-staging';
import { awsStack, problemLines, resources, synthJson } from '../helpers';

function ragOf(stack: TerraformStack): RagStack {
  return stack.node.findChild('Rag') as RagStack;
}

describe.each([
  ['rag-aws', (app: App) => new RagAwsStack(app, 'rag-aws')],
  ['rag-azure', (app: App) => new RagAzureStack(app, 'rag-azure')],
])('%s: model cache (on by default)', (name, make) => {
  const stack = make(Testing.app());
  const rag = ragOf(stack);
  const synth = Testing.synth(stack, true);
  const doc = JSON.parse(synth);
  // The examples keep the network and the retained data (the file system) in a data stack.
  const dataDoc = JSON.parse(Testing.synth(stack.dataStack, true));
  const servers = (Object.values(resources(doc, 'kubernetes_deployment_v1')) as any[]).filter(
    (d) => d.metadata.labels['app.kubernetes.io/name'] === 'vllm',
  );
  const jobs = Object.entries(resources(doc, 'kubernetes_job_v1')).filter(([, j]: [string, any]) =>
    j.metadata.name.startsWith('stage-'),
  ) as [string, any][];
  const claims = Object.entries(resources(doc, 'kubernetes_persistent_volume_claim_v1')) as [string, any][];
  const plans = Object.values(rag.plans);

  test('one RWX claim on the shared class, sized for every model', () => {
    expect(claims).toHaveLength(1);
    const [, claim] = claims[0];
    expect(claim.metadata).toMatchObject({ name: rag.modelCacheClaimName, namespace: 'rag' });
    expect(claim.spec.access_modes).toEqual(['ReadWriteMany']);
    expect(claim.spec.storage_class_name).toBe(rag.modelCacheFileSystem!.storageClassName);
    // EFS is elastic (a nominal size that never changes); Azure Files premium starts at 100 GiB and grows.
    const sum = plans.reduce((s, p) => s + p.cacheVolumeGib, 0);
    expect(claim.spec.resources.requests.storage).toBe(rag.modelCacheFileSystem!.elastic ? '1Ti' : `${Math.max(100, sum)}Gi`);
    expect(claim.wait_until_bound).toBe(false);
    const classes = Object.entries(resources(doc, 'kubernetes_storage_class_v1')).filter(
      ([, c]: [string, any]) => c.metadata.name === claim.spec.storage_class_name,
    );
    expect(classes).toHaveLength(1);
    expect(claim.depends_on).toContain(`kubernetes_storage_class_v1.${classes[0][0]}`);
    expect(classes[0][1].reclaim_policy).toBe('Retain');
  });

  test('one staging job per model on the general pool (ordinary workloads), waited for, writing the claim', () => {
    expect(jobs.map(([, j]) => j.metadata.labels['ai-platform.dev/served-model']).sort()).toEqual(plans.map((p) => p.servedName).sort());
    for (const [, job] of jobs) {
      const plan = plans.find((p) => p.servedName === job.metadata.labels['ai-platform.dev/served-model'])!;
      expect(job.wait_for_completion).toBe(true);
      expect(job.timeouts.create).toBe('90m');
      expect(job.spec.backoff_limit).toBe(3);
      expect(job.spec.ttl_seconds_after_finished).toBeUndefined();
      const pod = job.spec.template.spec;
      // Off the add-on pool: where the cluster runs ordinary workloads (AKS's untainted general pool, EKS's
      // untainted system group).
      expect(pod.node_selector).toEqual({ 'ai-platform.dev/role': name === 'rag-azure' ? 'general' : 'system' });
      expect(pod.toleration ?? []).toEqual([]);
      const c = pod.container[0];
      // A slim Python image, not the ~25 GB vLLM image.
      expect(c.image).toBe(STAGING_IMAGE);
      expect(c.command.slice(0, 2)).toEqual(['sh', '-c']);
      expect(c.command[2]).toMatch(
        /^pip install --no-cache-dir --quiet --target \/tmp\/python 'huggingface_hub>=0\.34,<1\.0' && exec python3 -c "\$STAGING_SCRIPT"$/,
      );
      expect(c.env).toContainEqual({ name: 'STAGING_SCRIPT', value: stagingScript(plan.repository) });
      expect(stagingScript(plan.repository)).toContain(`repo = "${plan.repository}"`);
      expect(c.env).toContainEqual({ name: 'HF_HOME', value: '/tmp/hf' });
      expect(c.env).toContainEqual({ name: 'HF_HUB_DISABLE_XET', value: '1' });
      expect(c.resources.requests).toEqual({ cpu: '1', memory: '2Gi', 'ephemeral-storage': '2Gi' });
      expect(job.spec.active_deadline_seconds).toBe(5100);
      // Restricted Pod Security as the servers' uid, huggingface_hub installed into the tmp emptyDir.
      expect(c.security_context).toMatchObject({
        run_as_non_root: true,
        run_as_user: '1000',
        allow_privilege_escalation: false,
        read_only_root_filesystem: true,
        capabilities: { drop: ['ALL'] },
        seccomp_profile: { type: 'RuntimeDefault' },
      });
      expect(pod.security_context).toMatchObject({ run_as_user: '1000', fs_group: '1000' });
      expect(c.env).toContainEqual({ name: 'PYTHONPATH', value: '/tmp/python' });
      expect(c.env).toContainEqual({ name: 'HOME', value: '/tmp' });
      expect(c.volume_mount).toEqual([
        { name: 'model-cache', mount_path: '/cache' },
        { name: 'tmp', mount_path: '/tmp' },
      ]);
      expect(pod.volume).toEqual([
        { name: 'model-cache', persistent_volume_claim: { claim_name: rag.modelCacheClaimName } },
        { name: 'tmp', empty_dir: { size_limit: '1Gi' } },
      ]);
      expect(job.depends_on).toContain(`kubernetes_persistent_volume_claim_v1.${claims[0][0]}`);
    }
  });

  test('each server loads its staged weights read-only, after its staging job, without hub downloads', () => {
    expect(servers).toHaveLength(plans.length);
    for (const d of servers) {
      const plan = plans.find((p) => p.servedName === d.metadata.labels['ai-platform.dev/served-model'])!;
      const c = d.spec.template.spec.container[0];
      const at = c.args.indexOf('--model');
      expect(c.args.slice(at, at + 2)).toEqual(['--model', `/model-cache/${plan.repository}`]);
      expect(c.args).toContain('--served-model-name');
      expect(c.args[c.args.indexOf('--served-model-name') + 1]).toBe(plan.servedName);
      expect(c.args).not.toContain('--download-dir');
      expect(c.volume_mount).toContainEqual({ name: 'model-cache', mount_path: '/model-cache', read_only: true });
      const volumes = d.spec.template.spec.volume;
      expect(volumes).toContainEqual({
        name: 'model-cache',
        persistent_volume_claim: { claim_name: rag.modelCacheClaimName, read_only: true },
      });
      // The compile caches stay on an ephemeral volume.
      expect(volumes).toContainEqual({ name: 'models', empty_dir: { size_limit: '10Gi' } });
      expect(c.env).toContainEqual({ name: 'VLLM_CACHE_ROOT', value: '/models/vllm-cache' });
      const job = jobs.find(([, j]) => j.metadata.labels['ai-platform.dev/served-model'] === plan.servedName)!;
      expect(d.depends_on).toContain(`kubernetes_job_v1.${job[0]}`);
      // Startup budget unchanged: a safe upper bound.
      expect(c.startup_probe.failure_threshold).toBe(Math.ceil(plan.startupSeconds / 10));
    }
  });

  test('no token or secret value in the synth output', () => {
    expect(synth).not.toMatch(/"(password|api[_-]?key|token|hf_token|secret)"\s*:\s*"(?!\$\{)[^"]{8,}"/i);
    expect(synth).not.toMatch(/hf_[A-Za-z0-9]{20,}/);
  });

  if (name === 'rag-aws') {
    test('AWS: EFS encrypted with its own key, NFS from the node SG only, a mount target per private subnet', () => {
      expect(resources(doc, 'aws_efs_file_system')).toEqual({});
      const fsys = Object.values(resources(dataDoc, 'aws_efs_file_system')) as any[];
      expect(fsys).toHaveLength(1);
      expect(fsys[0]).toMatchObject({
        encrypted: true,
        kms_key_id: expect.stringMatching(/^\$\{aws_kms_key\.Rag_ModelCache_Key_[0-9A-F]+\.arn\}$/),
        throughput_mode: 'elastic',
        performance_mode: 'generalPurpose',
        lifecycle: { prevent_destroy: true },
      });
      const [sgName, sg] = Object.entries(resources(dataDoc, 'aws_security_group')).find(([n]) => n.startsWith('Rag_ModelCache_'))! as [
        string,
        any,
      ];
      expect(sg.egress).toEqual([]);
      // The group is in the data stack; the rule from the node security group is the cluster's.
      expect(sg.ingress).toBeUndefined();
      const rules = (Object.values(resources(doc, 'aws_vpc_security_group_ingress_rule')) as any[]).filter((r) =>
        r.security_group_id.includes(sgName),
      );
      expect(rules).toEqual([
        expect.objectContaining({
          ip_protocol: 'tcp',
          from_port: 2049,
          to_port: 2049,
          referenced_security_group_id: '${aws_eks_cluster.Gpu_Cluster_6BEBD11F.vpc_config[0].cluster_security_group_id}',
        }),
      ]);
      expect(rules[0].cidr_ipv4 ?? null).toBeNull();
      const targets = Object.values(resources(dataDoc, 'aws_efs_mount_target')) as any[];
      const subnets = Object.keys(resources(dataDoc, 'aws_subnet')).filter((n) => n.includes('Private'));
      expect(targets.map((t) => t.subnet_id).sort()).toEqual(subnets.map((s) => `\${aws_subnet.${s}.id}`).sort());
      for (const t of targets) expect(t.security_groups).toEqual([expect.stringContaining('Rag_ModelCache_SecurityGroup')]);
    });

    test('AWS: the EFS CSI add-on once, with its own Pod Identity role; a StorageClass with TLS and Retain', () => {
      const addons = (Object.values(resources(doc, 'aws_eks_addon')) as any[]).filter((a) => a.addon_name === 'aws-efs-csi-driver');
      expect(addons).toHaveLength(1);
      expect(addons[0].pod_identity_association).toEqual([
        { role_arn: expect.stringMatching(/^\$\{aws_iam_role\..*EfsCsi.*\.arn\}$/), service_account: 'efs-csi-controller-sa' },
      ]);
      const attachments = (Object.values(resources(doc, 'aws_iam_role_policy_attachment')) as any[]).filter((a) =>
        String(a.policy_arn).endsWith('AmazonEFSCSIDriverPolicy'),
      );
      expect(attachments).toHaveLength(1);
      const roles = (Object.values(resources(doc, 'aws_iam_role')) as any[]).filter((r) => r.name === 'rag-prod-efs-csi');
      expect(roles).toHaveLength(1);
      const sc = Object.entries(resources(doc, 'kubernetes_storage_class_v1')).find(([n]) => n.startsWith('Rag_ModelCache_'))![1] as any;
      expect(sc).toMatchObject({
        storage_provisioner: 'efs.csi.aws.com',
        reclaim_policy: 'Retain',
        parameters: {
          provisioningMode: 'efs-ap',
          fileSystemId: expect.stringMatching(/^\$\{aws_efs_file_system\..*\.id\}$/),
          directoryPerms: '700',
          basePath: '/dynamic',
          // Named after the claim, not made unique: after a compute redeploy the claim of the same name
          // finds the weights on the retained file system. `$${` reaches Terraform as a literal `${`.
          subPathPattern: '$${.PVC.namespace}/$${.PVC.name}',
          ensureUniqueDirectory: 'false',
        },
      });
      expect(sc.metadata.name).toMatch(/^efs-[0-9a-f]{6}$/);
      // The mount targets are in the data stack, applied before this one: no cross-stack depends_on.
      expect(sc.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_eks_addon\..*EfsCsi/)]));
      expect(sc.depends_on.filter((d: string) => /mount_target|remote_state/.test(d))).toEqual([]);
    });
  } else {
    test('Azure: a retained Azure Files premium StorageClass, once', () => {
      const classes = (Object.values(resources(doc, 'kubernetes_storage_class_v1')) as any[]).filter(
        (c) => c.storage_provisioner === 'file.csi.azure.com',
      );
      expect(classes).toHaveLength(1);
      expect(classes[0]).toMatchObject({
        metadata: { name: 'azurefile-premium-retain' },
        // Shares in the cluster's resource group (in the data stack), not in the node resource group.
        parameters: { skuName: 'Premium_LRS', resourceGroup: '${azurerm_resource_group.Gpu_ResourceGroup_2AE12D52.name}' },
        reclaim_policy: 'Retain',
        allow_volume_expansion: true,
        // Owned by the uid the staging job writes as (SMB has no POSIX owners: the mount decides).
        mount_options: [
          'dir_mode=0755',
          'file_mode=0644',
          'uid=1000',
          'gid=1000',
          'mfsymlinks',
          'cache=strict',
          'nosharesock',
          'actimeo=30',
        ],
      });
      expect(resources(doc, 'aws_efs_file_system')).toEqual({});
    });
  }
});

describe('RagStack model cache options', () => {
  function cluster(stack: TerraformStack): GpuInferenceCluster {
    return new GpuInferenceCluster(stack, 'Gpu', {
      cloud: Cloud.aws({ endpointAccess: EndpointAccess.publicAndPrivate(['203.0.113.0/24']) }),
      clusterName: 'ai',
      nodePools: [GpuNodePool.inference('l4', { gpu: Gpu.L4, maxNodes: 2 })],
    });
  }

  test('modelCache false restores hub downloads: no claim, no staging job, no file system', () => {
    const stack = awsStack();
    const rag = new RagStack(stack, 'Rag', {
      cluster: cluster(stack),
      generator: ServedModel.of(LlmModel.QWEN2_5_7B, { pool: 'l4', contextLength: 4096, concurrentSequences: 4 }),
      embedder: ServedModel.of(EmbeddingModel.BGE_M3, { pool: 'l4' }),
      vectorStore: VectorStore.qdrant(),
      modelCache: false,
    });
    expect(problemLines(stack)).toEqual([]);
    const doc = synthJson(stack);
    expect(rag.modelCacheFileSystem).toBeUndefined();
    expect(resources(doc, 'kubernetes_persistent_volume_claim_v1')).toEqual({});
    expect(resources(doc, 'aws_efs_file_system')).toEqual({});
    expect(resources(doc, 'kubernetes_job_v1')).toEqual({});
    for (const plan of Object.values(rag.plans)) {
      const d = (Object.values(resources(doc, 'kubernetes_deployment_v1')) as any[]).find(
        (x) => x.metadata.labels['ai-platform.dev/served-model'] === plan.servedName,
      );
      const c = d.spec.template.spec.container[0];
      expect(c.args.slice(0, 2)).toEqual(['--model', plan.repository]);
      expect(c.args.slice(c.args.indexOf('--download-dir'), c.args.indexOf('--download-dir') + 2)).toEqual(['--download-dir', '/models']);
      expect(d.spec.template.spec.volume).toContainEqual({ name: 'models', empty_dir: { size_limit: `${plan.cacheVolumeGib}Gi` } });
      expect(c.volume_mount.map((m: any) => m.name)).not.toContain('model-cache');
    }
  });

  test('a gated model: only the staging job gets the Hugging Face token, by reference', () => {
    const stack = awsStack();
    new RagStack(stack, 'Rag', {
      cluster: cluster(stack),
      generator: ServedModel.of(LlmModel.LLAMA_3_1_8B, { pool: 'l4', contextLength: 4096, concurrentSequences: 4 }),
      embedder: ServedModel.of(EmbeddingModel.BGE_M3, { pool: 'l4' }),
      vectorStore: VectorStore.qdrant(),
      huggingFaceToken: { namespace: 'rag', name: 'hf-token', key: 'token' },
    });
    const doc = synthJson(stack);
    const job = (Object.values(resources(doc, 'kubernetes_job_v1')) as any[]).find((j) => j.metadata.name === 'stage-llama-3-1-8b');
    expect(job.spec.template.spec.container[0].env).toContainEqual({
      name: 'HF_TOKEN',
      value_from: { secret_key_ref: { name: 'hf-token', key: 'token' } },
    });
    const gen = (Object.values(resources(doc, 'kubernetes_deployment_v1')) as any[]).find((d) => d.metadata.name === 'vllm-llama-3-1-8b');
    expect(gen.spec.template.spec.container[0].env.map((e: any) => e.name)).not.toContain('HF_TOKEN');
  });

  test('the staging script quotes the repository and skips a completed directory', () => {
    const script = stagingScript('org/model"x');
    expect(script).toContain('repo = "org/model\\"x"');
    expect(script).toContain("done = target / '.complete'");
    expect(script).toContain('if done.exists():');
    // Safetensors when the repository has them, else .bin/.pt (BAAI/bge-m3 ships only pytorch_model.bin);
    // complete only once a weight file arrived.
    expect(script).toContain("weights = ['*.safetensors'] if any(f.endswith('.safetensors') for f in files) else ['*.bin', '*.pt']");
    expect(script).toContain(
      'snapshot_download(repo_id=repo, local_dir=str(target), allow_patterns=["*.json","*.txt","*.model","tokenizer*","*.jinja","*.py","*.tiktoken"] + weights)',
    );
    expect(script).toContain("sys.exit(f'{repo}: no weight files ({weights}) were downloaded')");
    expect(script.indexOf('sys.exit(f')).toBeLessThan(script.indexOf('done.touch()'));
  });
});
