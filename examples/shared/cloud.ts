import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { TerraformStack, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { AzureProviderDefaults } from '../../lib';
import { localDataStack, localState } from './data-stack';

/**
 * The cloud an example runs on, as the app configures it: constructs never create a cloud provider, the
 * user does, on each stack (the cluster's and its data stack).
 */
export class ExampleCloud {
  /** AWS in `region`. */
  public static aws(region: string): ExampleCloud {
    return new ExampleCloud((stack) => new AwsProvider(stack, 'aws', { region }));
  }

  /**
   * Azure, with the provider config the data services accept (`AzureProviderDefaults.config()`: the
   * storage accounts refuse shared keys and public networks, so azurerm must not use their data plane).
   */
  public static azure(): ExampleCloud {
    return new ExampleCloud((stack) => new AzurermProvider(stack, 'azurerm', AzureProviderDefaults.config()));
  }

  private constructor(private readonly provider: (stack: TerraformStack) => void) {}

  /** Local state and the cloud's provider on an example's stack. */
  public setUp(stack: TerraformStack): void {
    localState(stack);
    this.provider(stack);
  }

  /** The stack `<id>-data` for what outlives the cluster, with local state and the cloud's provider. */
  public dataStack(scope: Construct, id: string): TerraformStack {
    const stack = localDataStack(scope, `${id}-data`);
    this.provider(stack);
    return stack;
  }
}

/** The deployer's egress CIDR (variable `deployer_cidr`): Terraform installs the in-cluster part through the API. */
export function deployerCidr(scope: Construct): string {
  return new TerraformVariable(scope, 'deployer_cidr', {
    type: 'string',
    description: 'Egress CIDR of the machine or CI runner that runs terraform apply, e.g. 198.51.100.7/32',
  }).stringValue;
}
