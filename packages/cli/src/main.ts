#!/usr/bin/env node
import { Command } from 'commander';
import { registerSidecarCommand } from './commands/sidecar-command.js';

const program = new Command();
program.name('agentrail').description('Audit-and-control gateway between automation/AI agents and AWS');
registerSidecarCommand(program);
program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`agentrail: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
