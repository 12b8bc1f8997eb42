#!/usr/bin/env node
import { Command } from 'commander';
import { registerCollectorCommand } from './commands/collector-command.js';
import { registerRunCommand } from './commands/run-command.js';
import { registerSidecarCommand } from './commands/sidecar-command.js';
import { registerAuditCommands } from './commands/audit-commands.js';
import { registerPolicyCommand } from './commands/policy-command.js';
import { registerControllerCommand } from './commands/controller-command.js';

const program = new Command();
program.name('agentrail').description('Audit-and-control gateway between automation/AI agents and AWS').enablePositionalOptions();
registerSidecarCommand(program);
registerAuditCommands(program);
registerRunCommand(program);
registerCollectorCommand(program);
registerPolicyCommand(program);
registerControllerCommand(program);
program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`agentrail: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
