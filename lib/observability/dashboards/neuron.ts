import { NeuronMetrics as N } from '../metrics';
import { DashboardSpec, stat, timeseries } from './grafana';

/** AWS Inferentia/Trainium nodes, from neuron-monitor. */
export function neuronDashboard(): DashboardSpec {
  return {
    uid: 'ai-platform-neuron',
    title: 'AI platform / Neuron devices',
    tags: ['neuron', 'inferentia', 'trainium'],
    rows: [
      {
        title: 'Fleet',
        panels: [
          stat('NeuronCores reporting', 'short', 8, `count(${N.CORE_UTILIZATION})`),
          stat('Mean NeuronCore utilisation', 'percentunit', 8, `avg(${N.CORE_UTILIZATION})`),
          stat('Execution errors (1h)', 'short', 8, `sum(increase(${N.EXECUTION_ERRORS}[1h])) or vector(0)`, { thresholds: [[1, 'red']] }),
        ],
      },
      {
        title: 'Per node',
        panels: [
          timeseries('NeuronCore utilisation', 'percentunit', 12, [
            { expr: `max by (node, neuroncore) (${N.CORE_UTILIZATION})`, legend: '{{node}} core {{neuroncore}}' },
          ]),
          timeseries('Runtime memory used', 'bytes', 12, [
            { expr: `sum by (node, memory_location) (${N.RUNTIME_MEMORY_USED})`, legend: '{{node}} {{memory_location}}' },
          ]),
          timeseries('Executions / s by status', 'short', 12, [
            { expr: `sum by (node, status_type) (rate(${N.EXECUTION_STATUS}[5m]))`, legend: '{{node}} {{status_type}}' },
          ]),
          timeseries('Execution latency', 's', 12, [
            { expr: `max by (node, percentile) (${N.EXECUTION_LATENCY})`, legend: '{{node}} {{percentile}}' },
          ]),
        ],
      },
    ],
  };
}
