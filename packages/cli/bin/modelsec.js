#!/usr/bin/env node
import { main } from '../dist/main.js';

// A reader that stops early (`modelsec scan DIR | head`) closes the pipe: the rest of the output is dropped quietly,
// as Unix tools do, instead of dying on an unhandled EPIPE with a stack trace; the command still runs to its end and
// exits with its own code (a gate that failed still exits 1).
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error;
  });

process.exitCode = await main(process.argv);
