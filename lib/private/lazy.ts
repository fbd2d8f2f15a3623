/**
 * Cloud provider packages are optional peers: an AWS-only app need not install azurerm (hundreds of MB),
 * and the other way round. Modules that build cloud resources import provider types only, and load the
 * provider classes through this on first use, so loading the library never requires a cloud provider.
 */
export function lazyModule<T>(path: string): () => T {
  let loaded: T | undefined;
  return () => {
    if (loaded === undefined) {
      const pkg = path.split('/').slice(0, 2).join('/');
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        loaded = require(path) as T;
      } catch (e) {
        const err = e as { code?: string; message?: string };
        if (err.code === 'MODULE_NOT_FOUND' && (err.message ?? '').includes(pkg)) {
          throw new Error(
            `${pkg} is not installed, and this construct creates its resources; install it beside cdktf-ai-platform (npm i ${pkg}), or use the other cloud`,
          );
        }
        throw e;
      }
    }
    return loaded;
  };
}
