import type { DemoStep } from './runner.js';

/** The demo, in order. Each capability appends its steps (scan, bom, sign/verify, registry). */
export const DEMO_STEPS: DemoStep[] = [
  {
    title: 'The modelsec command',
    run(ctx) {
      ctx.modelsec(['--version']);
    },
  },
];
