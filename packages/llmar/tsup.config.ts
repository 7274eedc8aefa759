import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.shared';

export default defineConfig([
  packageConfig(),
  // The CLI: ESM only, with the shebang kept from src/cli.ts; `clean` off so it does not wipe the library build.
  packageConfig({ entry: ['src/cli.ts'], format: ['esm'], dts: false, clean: false, sourcemap: true }),
]);
