import { defineConfig } from 'vitest/config';
import { formattingAliases } from './vite.config.ts';

export default defineConfig({
  resolve: { alias: formattingAliases },
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/support/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // CI reads the runner's own counts from this report.
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.cache/test-report.json' }]] : ['default'],
  },
});
