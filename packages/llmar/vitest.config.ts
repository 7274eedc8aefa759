import { defineConfig } from 'vitest/config';
import { sourceAliases, sharedTest } from '../../vitest.shared';

export default defineConfig({ resolve: { alias: sourceAliases() }, test: sharedTest });
