import { resolveAlertThresholds } from '../../lib/observability/alerts';
import { platformDashboards } from '../../lib/observability/dashboards';

const all = platformDashboards(resolveAlertThresholds().resolved, { nvidia: true, mig: true, neuron: true });

describe('dashboards', () => {
  test('GPU fleet, MIG, Neuron and LLM serving ship with unique, fixed uids', () => {
    const uids = all.map((d) => d.uid);
    expect(uids).toEqual(['ai-platform-gpu-fleet', 'ai-platform-gpu-mig', 'ai-platform-neuron', 'ai-platform-llm-serving']);
    expect(new Set(uids).size).toBe(uids.length);
    for (const uid of uids) expect(uid.length).toBeLessThanOrEqual(40);
  });

  test.each(all.map((d) => [d.uid, d]))('%s is valid JSON with unique panel ids inside the grid', (_uid, d: any) => {
    const json = JSON.stringify(d);
    expect(JSON.parse(json)).toEqual(d);
    const ids = d.panels.map((p: any) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of d.panels) {
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      if (p.type !== 'row') expect(p.targets.length).toBeGreaterThan(0);
    }
    // The JSON travels through Terraform, which would read `${` as an interpolation.
    expect(json).not.toContain('${');
  });

  test('LLM serving covers TTFT, inter-token, e2e latency, queue, running and KV cache', () => {
    const serving = all.find((d) => d.uid === 'ai-platform-llm-serving')!;
    const text = JSON.stringify(serving);
    for (const m of [
      'vllm:time_to_first_token_seconds_bucket',
      'vllm:inter_token_latency_seconds_bucket',
      'vllm:e2e_request_latency_seconds_bucket',
      'vllm:num_requests_waiting',
      'vllm:num_requests_running',
      'vllm:kv_cache_usage_perc',
    ])
      expect(text).toContain(m);
  });

  test('GPU fleet covers utilisation, memory, temperature, power and XID', () => {
    const text = JSON.stringify(all[0]);
    for (const m of [
      'DCGM_FI_DEV_GPU_UTIL',
      'DCGM_FI_DEV_FB_USED',
      'DCGM_FI_DEV_GPU_TEMP',
      'DCGM_FI_DEV_POWER_USAGE',
      'DCGM_FI_DEV_XID_ERRORS',
    ])
      expect(text).toContain(m);
  });

  test('only dashboards with data sources in the cluster are shipped', () => {
    const uids = platformDashboards(resolveAlertThresholds().resolved, { nvidia: false, mig: false, neuron: true }).map((d) => d.uid);
    expect(uids).toEqual(['ai-platform-neuron', 'ai-platform-llm-serving']);
  });
});
