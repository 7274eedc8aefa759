import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.shared';

// shims: import.meta.url in the CJS build (the loader finds build/Release relative to the bundle).
export default defineConfig(packageConfig({ shims: true }));
