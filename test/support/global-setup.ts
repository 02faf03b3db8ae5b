// Suite-wide setup. Azurite is started here (see test/support/azurite.ts) once it exists.
export default async function setup(): Promise<() => Promise<void>> {
  return async () => {};
}
