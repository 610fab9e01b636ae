/**
 * Loads a backend package the way the running build of core was loaded:
 * with `require` from the CommonJS build and with `import()` from the ESM
 * build. The backend then imports this same copy of core, so the
 * `SpoolId` a caller creates passes the backend's `instanceof` checks.
 *
 * Resolves to the package's exports. Rejects with Node's own error when
 * the package is missing or fails to load.
 */
export async function loadBackendPackage(
  packageName: string,
): Promise<unknown> {
  // `module` exists only in CommonJS and esbuild leaves it as is in both builds, whereas a bare `require` becomes a throwing shim in the ESM build.
  if (typeof module === 'object' && typeof module?.require === 'function') {
    return module.require(packageName);
  }
  return import(/* @vite-ignore */ packageName);
}
