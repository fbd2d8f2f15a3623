/**
 * Names of the series the cost recording rules write (level:metric:operations, as Prometheus recommends),
 * in one place: the rules, the cost dashboard and the tenants' budget alerts read them from here.
 */
export class CostMetrics {
  /** Price of one node-hour per pool and instance type (constant series; labels pool, instance_type, market, price_basis). */
  public static readonly NODE_PRICE = 'ai_platform:node_price_usd_per_hour';
  /** Price of one unit-hour of an extended resource per pool and instance type (labels pool, instance_type, resource). */
  public static readonly UNIT_PRICE = 'ai_platform:resource_price_usd_per_hour';
  /** Accelerator units requested by running pods, with the pod's pool and instance type. */
  public static readonly POD_UNITS = 'pod:ai_platform_accelerator_units:sum';
  /** What the accelerator units of a running pod cost per hour. */
  public static readonly POD_COST = 'pod:ai_platform_gpu_cost_usd_per_hour:sum';
  /** Accelerator units allocated per namespace, pool and resource: GPU-hours per hour. */
  public static readonly NAMESPACE_UNITS = 'namespace:ai_platform_accelerator_units:sum';
  /** Allocated accelerator cost per namespace and pool, per hour. */
  public static readonly NAMESPACE_POOL_COST = 'namespace_pool:ai_platform_gpu_cost_usd_per_hour:sum';
  /** Allocated accelerator cost per namespace, per hour; 0 for an active namespace without accelerators. */
  public static readonly NAMESPACE_COST = 'namespace:ai_platform_gpu_cost_usd_per_hour:sum';
  /** Allocated accelerator cost per served model (labels namespace, served_model, pool), per hour. */
  public static readonly MODEL_COST = 'model:ai_platform_gpu_cost_usd_per_hour:sum';
  /** What the running nodes of each pool cost per hour, allocated or not. */
  public static readonly POOL_NODE_COST = 'pool:ai_platform_node_cost_usd_per_hour:sum';
  /** Allocated accelerator cost per pool, per hour. */
  public static readonly POOL_ALLOCATED_COST = 'pool:ai_platform_gpu_cost_usd_per_hour:sum';
  /**
   * Accelerator units allocated per namespace and pool on pools without a price (labels namespace, pool,
   * resource): what the cost series count as free.
   */
  public static readonly NAMESPACE_UNPRICED_UNITS = 'namespace:ai_platform_unpriced_accelerator_units:sum';
  /** Mean graphics-engine activity of the GPUs (or MIG instances) each namespace holds, 0-1 (DCGM). */
  public static readonly NAMESPACE_GPU_ACTIVE = 'namespace:ai_platform_gpu_engine_active:avg';
}
