import { spawn } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DemoStep } from './runner.js';

/** The demo, in order. Each capability appends its steps (scan, bom, sign/verify, registry). */
export const DEMO_STEPS: DemoStep[] = [
  {
    title: 'The modelsec command',
    run(ctx) {
      ctx.modelsec(['--version']);
    },
  },
  {
    title: 'Scan a directory mixing model formats for unsafe payloads (scan)',
    run(ctx) {
      const mixed = join(ctx.fixtures, 'scan', 'mixed');
      ctx.say(
        'Every file is detected by content: a pickle named .bin, an SSTI chat template in a GGUF, a zip member, a lying safetensors header:',
      );
      ctx.modelsec(['scan', mixed], { expectExit: 1 });
      ctx.say('The same scan as SARIF for GitHub code scanning, and the clean files alone pass (exit 0):');
      ctx.modelsec(['scan', mixed, '--format', 'sarif', '-o', join(ctx.work, 'scan.sarif')], { expectExit: 1 });
      ctx.modelsec(['scan', join(mixed, 'model.safetensors'), join(mixed, 'chat.gguf'), join(mixed, 'config.json')]);
    },
  },
  {
    title: 'Validate and score an ML-BOM offline (bom validate, bom score)',
    run(ctx) {
      const bom = {
        bomFormat: 'CycloneDX',
        specVersion: '1.6',
        version: 1,
        components: [
          {
            type: 'machine-learning-model',
            'bom-ref': 'model',
            name: 'tiny-llama',
            version: '0123456789abcdef0123456789abcdef01234567',
            licenses: [{ license: { id: 'Apache-2.0' } }],
            modelCard: {
              modelParameters: { task: 'text-generation', architectureFamily: 'llama' },
              // The shape another generator emits: `description` is not allowed here in CycloneDX 1.6.
              considerations: { ethicalConsiderations: [{ name: 'bias', description: 'may be biased' }] },
            },
          },
        ],
      };
      const file = join(ctx.work, 'other-generator.cdx.json');
      writeFileSync(file, JSON.stringify(bom, null, 2));
      ctx.say('A BOM with the ethicalConsiderations shape some generators emit fails the official schema:');
      ctx.modelsec(['bom', 'validate', file], { expectExit: 1 });
      ctx.say('Scored, the invalid field earns nothing (only valid shapes count):');
      ctx.modelsec(['bom', 'score', file]);
      const fixed = bom.components[0]?.modelCard.considerations.ethicalConsiderations[0] as Record<string, unknown>;
      fixed.mitigationStrategy = fixed.description;
      delete fixed.description;
      writeFileSync(file, JSON.stringify(bom, null, 2));
      ctx.say('With the field in its schema shape (description moved to mitigationStrategy) the same BOM validates:');
      ctx.modelsec(['bom', 'validate', file]);
    },
  },
  {
    title: 'Build an ML-BOM of a Hugging Face model directory (bom)',
    run(ctx) {
      const model = join(ctx.fixtures, 'models', 'hf-tiny-llama');
      const file = join(ctx.work, 'hf-tiny-llama.cdx.json');
      ctx.say('Card, config, both safetensors shards, tokenizer files and the lockfiles go into one CycloneDX 1.6 BOM:');
      ctx.modelsec(['bom', model, '-o', file], { env: { SOURCE_DATE_EPOCH: '1717200000' } });
      ctx.modelsec(['bom', 'validate', file]);
      ctx.modelsec(['bom', 'score', file]);
      ctx.say('The same model as CycloneDX 1.7 XML, validated against the official XSD:');
      const xml = join(ctx.work, 'hf-tiny-llama.cdx.xml');
      ctx.modelsec(['bom', model, '--spec', '1.7', '--format', 'xml', '-o', xml]);
      ctx.modelsec(['bom', 'validate', xml]);
      ctx.say('A card whose YAML front matter is broken gives a warning naming the file, and still a valid BOM:');
      ctx.modelsec([
        'bom',
        join(ctx.fixtures, 'models', 'hostile', 'card-yaml-malformed'),
        '-o',
        join(ctx.work, 'broken.cdx.json'),
      ]);
    },
  },
  {
    title: 'Sign and verify a model with a key, then catch a tampered file (keygen, sign, verify, digest)',
    run(ctx) {
      const model = join(ctx.work, 'signed-tiny-llama');
      cpSync(join(ctx.fixtures, 'models', 'hf-tiny-llama'), model, { recursive: true });
      const prefix = join(ctx.work, 'demo-signer');
      ctx.modelsec(['keygen', '--out', prefix, '--curve', 'p384']);
      ctx.say('The OMS root digest covers every file (PurePosixPath order, .git ignored):');
      ctx.modelsec(['digest', model]);
      ctx.modelsec(['sign', 'key', model, '--private-key', `${prefix}.key`]);
      ctx.modelsec(['verify', 'key', model, '--public-key', `${prefix}.pub`]);
      ctx.say('Someone edits config.json after signing: verification fails (exit 1) and names the file:');
      writeFileSync(join(model, 'config.json'), '{"model_type": "llama", "tampered": true}\n');
      ctx.modelsec(['verify', 'key', model, '--public-key', `${prefix}.pub`], { expectExit: 1 });
    },
  },
  {
    title: 'Publish to the embedded registry and gate on it in CI (registry serve, push, check)',
    async run(ctx) {
      const admin = 'msk_demo-admin-token';
      const server = spawn(
        process.execPath,
        [REGISTRY_DEMO_CLI, 'registry', 'serve', '--data', join(ctx.work, 'registry-data'), '--listen', '127.0.0.1:0', '--json'],
        {
          env: { ...process.env, MODELSEC_ADMIN_TOKEN: admin },
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      try {
        const url = await new Promise<string>((resolve, reject) => {
          let text = '';
          server.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
            text += chunk;
            const m = /"listening":\s*"(http:[^"]+)"/.exec(text);
            if (m) resolve(m[1] as string);
          });
          server.once('close', (code) => reject(new Error(`registry exited with ${code}`)));
        });
        ctx.say(`An embedded registry (SQLite + content-addressed blobs) listens on ${url}.`);
        const asAdmin = { MODELSEC_REGISTRY: url, MODELSEC_TOKEN: admin };
        ctx.modelsec(['registry', 'namespace', 'create', 'demo'], { env: asAdmin });
        const policy = join(ctx.work, 'demo-policy.json');
        // The demo namespace opts out of the registry's own scan (the scan section of the demo covers scanning).
        writeFileSync(policy, JSON.stringify({ scan: { required: false, maxSeverity: 'medium' } }, null, 2));
        ctx.modelsec(['registry', 'policy', 'set', 'demo', policy], { env: asAdmin });
        const token = ctx
          .modelsec(['registry', 'token', 'create', '--namespace', 'demo', '--scope', 'push'], {
            env: asAdmin,
            quietStdout: true,
          })
          .stdout.trim();
        const asPusher = { MODELSEC_REGISTRY: url, MODELSEC_TOKEN: token };
        const model = join(ctx.work, 'registry-tiny-llama');
        cpSync(join(ctx.fixtures, 'models', 'hf-tiny-llama'), model, { recursive: true });
        const prefix = join(ctx.work, 'registry-signer');
        ctx.modelsec(['keygen', '--out', prefix]);
        ctx.modelsec(['sign', 'key', model, '--private-key', `${prefix}.key`]);
        ctx.say('The registry verifies the signature over exactly the pushed files before it accepts the version:');
        ctx.modelsec(['push', model, 'demo/tiny-llama@1.0.0', '--public-key', `${prefix}.pub`], { env: asPusher });
        ctx.say(
          'The CI gate trusts only what it pins locally (the signer key here; the log key was pinned on first use):' +
            ' this exact model is published and signed by that key (exit 0):',
        );
        const pinned = ['--public-key', `${prefix}.pub`];
        ctx.modelsec(['check', model, '--name', 'demo/tiny-llama', ...pinned], { env: asPusher });
        ctx.say('One byte of config.json changes: no published version has this digest (exit 1):');
        writeFileSync(join(model, 'config.json'), '{"model_type": "llama", "tampered": true}\n');
        ctx.modelsec(['check', model, '--name', 'demo/tiny-llama', ...pinned], { env: asPusher, expectExit: 1 });
      } finally {
        server.kill('SIGTERM');
      }
    },
  },
];

/** The built CLI, for the registry server the demo runs in the background. */
const REGISTRY_DEMO_CLI = fileURLToPath(new URL('../../packages/cli/bin/modelsec.js', import.meta.url));
