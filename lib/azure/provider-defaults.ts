import type { AzurermProviderConfig, AzurermProviderFeatures } from '@cdktf/provider-azurerm/lib/provider';
import { Tokenization } from 'cdktf';

/**
 * The azurerm provider settings the library's Azure data services need. Constructs create no cloud
 * provider (the app does), and the one users write first, `features: [{}]`, is refused at synth once a
 * stack holds a storage account (`ObjectStore`, documents, an offline store, events): azurerm 4.x then
 * reads the private, Entra-only account through its data plane, which refuses it (403 on the first apply).
 * `features.storage.dataPlaneAvailable = false` keeps azurerm on Resource Manager.
 *
 * ```ts fixture=azure-provider
 * new AzurermProvider(this, 'azurerm', AzureProviderDefaults.config());
 * new AzurermProvider(dataStack, 'azurerm', AzureProviderDefaults.config({ subscriptionId: '00000000-0000-0000-0000-000000000000' }));
 * ```
 */
export class AzureProviderDefaults {
  /**
   * The `features` block: `[{ storage: [{ dataPlaneAvailable: false }] }]`.
   */
  public static features(): AzurermProviderFeatures[] {
    return [{ storage: [{ dataPlaneAvailable: false }] }];
  }

  /**
   * `config` with the storage data plane off: `features()` when it has no `features`, else each of its
   * features blocks without a `storage` block gets `dataPlaneAvailable: false` (one given is kept as is).
   * @param config the rest of the provider's configuration (subscription, tenant, ...)
   */
  public static config(config: AzurermProviderConfig = {}): AzurermProviderConfig {
    const given = config.features;
    if (given === undefined) return { ...config, features: AzureProviderDefaults.features() };
    if (Tokenization.isResolvable(given) || !Array.isArray(given)) return config;
    return { ...config, features: given.map((f) => (f.storage === undefined ? { ...f, storage: [{ dataPlaneAvailable: false }] } : f)) };
  }

  private constructor() {}
}
