/**
 * The DCGM fields every DCGM exporter of the platform collects, written as the exporter's CSV (field,
 * Prometheus type, help). One list for both exporters: the GPU operator's (`dcgmExporter.config`) and the
 * standalone chart's (`customMetrics`). Either replaces the exporter's default list, so it carries the
 * defaults the dashboards use plus the health counters the alerts need that the defaults leave commented
 * out: double-bit ECC, NVLink errors and retired pages (dcgm-exporter 4.8.x default-counters.csv), and the
 * exporter's own windowed XID count (`DCGM_EXP_…`, computed by the exporter, not a DCGM field).
 */
export const DCGM_COUNTERS: ReadonlyArray<readonly [string, string, string]> = [
  // Clocks, temperature, power
  ['DCGM_FI_DEV_SM_CLOCK', 'gauge', 'SM clock frequency (in MHz).'],
  ['DCGM_FI_DEV_MEM_CLOCK', 'gauge', 'Memory clock frequency (in MHz).'],
  ['DCGM_FI_DEV_MEMORY_TEMP', 'gauge', 'Memory temperature (in C).'],
  ['DCGM_FI_DEV_GPU_TEMP', 'gauge', 'GPU temperature (in C).'],
  ['DCGM_FI_DEV_POWER_USAGE', 'gauge', 'Power draw (in W).'],
  ['DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', 'counter', 'Total energy consumption since boot (in mJ).'],
  // PCIe
  ['DCGM_FI_DEV_PCIE_REPLAY_COUNTER', 'counter', 'Total number of PCIe retries.'],
  // Utilization
  ['DCGM_FI_DEV_GPU_UTIL', 'gauge', 'GPU utilization (in %).'],
  ['DCGM_FI_DEV_MEM_COPY_UTIL', 'gauge', 'Memory utilization (in %).'],
  ['DCGM_FI_DEV_ENC_UTIL', 'gauge', 'Encoder utilization (in %).'],
  ['DCGM_FI_DEV_DEC_UTIL', 'gauge', 'Decoder utilization (in %).'],
  // Errors and violations
  ['DCGM_FI_DEV_XID_ERRORS', 'gauge', 'Value of the last XID error encountered.'],
  // The last-XID gauge above keeps its value until the driver reloads, so an alert on it never clears;
  // this count (one series per `xid` label) covers the exporter's window (--xid-count-window-size, 5 min).
  ['DCGM_EXP_XID_ERRORS_COUNT', 'gauge', 'Count of XID errors within the configured time window.'],
  ['DCGM_FI_DEV_POWER_VIOLATION', 'counter', 'Throttling duration due to power constraints (in ns).'],
  ['DCGM_FI_DEV_THERMAL_VIOLATION', 'counter', 'Throttling duration due to thermal constraints (in ns).'],
  // Memory usage
  ['DCGM_FI_DEV_FB_FREE', 'gauge', 'Framebuffer memory free (in MiB).'],
  ['DCGM_FI_DEV_FB_USED', 'gauge', 'Framebuffer memory used (in MiB).'],
  // ECC (health)
  ['DCGM_FI_DEV_ECC_SBE_VOL_TOTAL', 'counter', 'Total number of single-bit volatile ECC errors.'],
  ['DCGM_FI_DEV_ECC_DBE_VOL_TOTAL', 'counter', 'Total number of double-bit volatile ECC errors.'],
  // Retired pages (GPUs before Ampere retire pages instead of remapping rows)
  ['DCGM_FI_DEV_RETIRED_DBE', 'counter', 'Total number of retired pages due to double-bit errors.'],
  ['DCGM_FI_DEV_RETIRED_PENDING', 'counter', 'Total number of pages pending retirement.'],
  // NVLink (health; absent on GPUs without NVLink)
  ['DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL', 'counter', 'Total number of NVLink flow-control CRC errors.'],
  ['DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_COUNT_TOTAL', 'counter', 'Total number of NVLink data CRC errors.'],
  ['DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL', 'counter', 'Total number of NVLink retries.'],
  ['DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_TOTAL', 'counter', 'Total number of NVLink recovery errors.'],
  ['DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL', 'counter', 'Total number of NVLink bandwidth counters for all lanes.'],
  // Remapped rows (health)
  ['DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS', 'counter', 'Number of remapped rows for uncorrectable errors'],
  ['DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS', 'counter', 'Number of remapped rows for correctable errors'],
  ['DCGM_FI_DEV_ROW_REMAP_FAILURE', 'gauge', 'Whether remapping of rows has failed'],
  // DCGM field 396 (go-dcgm's name map, which the exporter reads the CSV with), not in the default list.
  ['DCGM_FI_DEV_ROW_REMAP_PENDING', 'gauge', 'Whether remapping of rows is pending'],
  // Profiling (DCP): reported per MIG instance too
  ['DCGM_FI_PROF_GR_ENGINE_ACTIVE', 'gauge', 'Ratio of time the graphics engine is active.'],
  ['DCGM_FI_PROF_SM_ACTIVE', 'gauge', 'The ratio of cycles an SM has at least 1 warp assigned.'],
  ['DCGM_FI_PROF_SM_OCCUPANCY', 'gauge', 'The ratio of number of warps resident on an SM.'],
  ['DCGM_FI_PROF_PIPE_TENSOR_ACTIVE', 'gauge', 'Ratio of cycles the tensor (HMMA) pipe is active.'],
  ['DCGM_FI_PROF_DRAM_ACTIVE', 'gauge', 'Ratio of cycles the device memory interface is active sending or receiving data.'],
  [
    'DCGM_FI_PROF_PCIE_TX_BYTES',
    'gauge',
    'The rate of data transmitted over the PCIe bus - including both protocol headers and data payloads - in bytes per second.',
  ],
  [
    'DCGM_FI_PROF_PCIE_RX_BYTES',
    'gauge',
    'The rate of data received over the PCIe bus - including both protocol headers and data payloads - in bytes per second.',
  ],
];

/** Name of the ConfigMap the GPU operator creates from the list. */
export const DCGM_METRICS_CONFIG_MAP = 'ai-platform-dcgm-metrics';

/** The list as the exporters' CSV. */
export function dcgmCountersCsv(): string {
  return [
    '# DCGM FIELD, Prometheus metric type, help message (written by cdktf-ai-platform)',
    ...DCGM_COUNTERS.map(([field, type, help]) => `${field}, ${type}, ${help}`),
  ].join('\n');
}
