import { DcgmMetrics as D } from '../metrics';
import { DashboardSpec, stat, timeseries } from './grafana';

/** Memory used as a fraction of the framebuffer, per series (GPU or MIG instance). */
export const FB_USED_RATIO = `${D.FB_USED} / (${D.FB_USED} + ${D.FB_FREE})`;

/** GPU fleet: utilisation, memory, temperature, power and errors of every NVIDIA GPU. */
export function gpuFleetDashboard(thresholds: { gpuMemoryPercent: number; gpuTemperatureCelsius: number }): DashboardSpec {
  const perGpu = '{{node}} gpu {{gpu}}';
  return {
    uid: 'ai-platform-gpu-fleet',
    title: 'AI platform / GPU fleet',
    tags: ['gpu', 'dcgm'],
    rows: [
      {
        title: 'Fleet',
        panels: [
          stat('GPUs reporting', 'short', 4, `count(${D.GPU_TEMP})`),
          stat('Mean utilisation (whole GPUs)', 'percent', 5, `avg(${D.GPU_UTIL})`),
          stat('Framebuffer used', 'percentunit', 5, `sum(${D.FB_USED}) / (sum(${D.FB_USED}) + sum(${D.FB_FREE}))`, {
            thresholds: [[thresholds.gpuMemoryPercent / 100, 'orange']],
          }),
          stat('Power draw', 'watt', 5, `sum(${D.POWER_USAGE})`),
          stat('GPUs with an XID', 'short', 5, `count(${D.XID_ERRORS} > 0) or vector(0)`, { thresholds: [[1, 'red']] }),
        ],
      },
      {
        title: 'Per GPU',
        panels: [
          timeseries('Utilisation', 'percent', 12, [{ expr: `max by (node, gpu) (${D.GPU_UTIL})`, legend: perGpu }], {
            description: 'DCGM does not report this for MIG-partitioned GPUs; see the MIG dashboard.',
          }),
          timeseries('Framebuffer used', 'percentunit', 12, [{ expr: `max by (node, gpu) (${FB_USED_RATIO})`, legend: perGpu }], {
            thresholds: [[thresholds.gpuMemoryPercent / 100, 'orange']],
          }),
          timeseries('Temperature', 'celsius', 8, [{ expr: `max by (node, gpu) (${D.GPU_TEMP})`, legend: perGpu }], {
            thresholds: [[thresholds.gpuTemperatureCelsius, 'red']],
          }),
          timeseries('Power draw', 'watt', 8, [{ expr: `max by (node, gpu) (${D.POWER_USAGE})`, legend: perGpu }]),
          timeseries('Tensor pipe active', 'percentunit', 8, [
            { expr: `max by (node, gpu) (${D.PROF_PIPE_TENSOR_ACTIVE})`, legend: perGpu },
          ]),
        ],
      },
      {
        title: 'Errors',
        panels: [
          timeseries('Last XID', 'short', 8, [{ expr: `max by (node, gpu) (${D.XID_ERRORS}) > 0`, legend: perGpu }], {
            description: '48, 63, 64, 74, 79, 94 and 95 point at hardware; others usually at the application.',
          }),
          timeseries('Rows remapped (uncorrectable)', 'short', 8, [
            { expr: `max by (node, gpu) (${D.UNCORRECTABLE_REMAPPED_ROWS})`, legend: perGpu },
          ]),
          timeseries('Row remap failure', 'short', 8, [{ expr: `max by (node, gpu) (${D.ROW_REMAP_FAILURE})`, legend: perGpu }], {
            thresholds: [[1, 'red']],
          }),
        ],
      },
    ],
  };
}
