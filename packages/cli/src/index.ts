export { registerSidecarCommand } from './commands/sidecar-command.js';
