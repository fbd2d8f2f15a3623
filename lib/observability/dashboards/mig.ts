import { DcgmMetrics as D } from '../metrics';
import { DashboardSpec, stat, timeseries } from './grafana';

/**
 * MIG instances. DCGM reports DCGM_FI_DEV_GPU_UTIL per physical GPU only, so utilisation here comes from
 * the profiling fields, which DCGM reports per GPU instance (labels GPU_I_ID and GPU_I_PROFILE).
 */
export function migDashboard(): DashboardSpec {
  const sel = '{GPU_I_ID!=""}';
  const perInstance = '{{node}} gpu {{gpu}} / {{GPU_I_PROFILE}} #{{GPU_I_ID}}';
  const by = 'max by (node, gpu, GPU_I_PROFILE, GPU_I_ID)';
  const usedRatio = `${D.FB_USED}${sel} / (${D.FB_USED}${sel} + ${D.FB_FREE}${sel})`;
  return {
    uid: 'ai-platform-gpu-mig',
    title: 'AI platform / MIG instances',
    tags: ['gpu', 'mig', 'dcgm'],
    rows: [
      {
        title: 'Instances',
        panels: [
          stat('MIG instances reporting', 'short', 6, `count(${D.PROF_GR_ENGINE_ACTIVE}${sel})`),
          stat('Mean graphics engine active', 'percentunit', 6, `avg(${D.PROF_GR_ENGINE_ACTIVE}${sel})`),
          stat('Mean tensor pipe active', 'percentunit', 6, `avg(${D.PROF_PIPE_TENSOR_ACTIVE}${sel})`),
          stat('Mean memory used', 'percentunit', 6, `avg(${usedRatio})`),
        ],
      },
      {
        title: 'Per instance',
        panels: [
          timeseries('Graphics engine active', 'percentunit', 12, [
            { expr: `${by} (${D.PROF_GR_ENGINE_ACTIVE}${sel})`, legend: perInstance },
          ]),
          timeseries('Tensor pipe active', 'percentunit', 12, [
            { expr: `${by} (${D.PROF_PIPE_TENSOR_ACTIVE}${sel})`, legend: perInstance },
          ]),
          timeseries('Memory bandwidth busy', 'percentunit', 12, [{ expr: `${by} (${D.PROF_DRAM_ACTIVE}${sel})`, legend: perInstance }]),
          timeseries('Framebuffer used', 'percentunit', 12, [{ expr: `${by} (${usedRatio})`, legend: perInstance }]),
        ],
      },
      {
        title: 'By profile',
        panels: [
          timeseries(
            'Graphics engine active by profile',
            'percentunit',
            24,
            [{ expr: `avg by (GPU_I_PROFILE) (${D.PROF_GR_ENGINE_ACTIVE}${sel})`, legend: '{{GPU_I_PROFILE}}' }],
            { description: 'Low average activity on a profile suggests a smaller slice would serve the same load.' },
          ),
        ],
      },
    ],
  };
}
