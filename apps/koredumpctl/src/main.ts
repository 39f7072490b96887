import 'reflect-metadata';

import { runCli } from './cli.js';

// `koredumpctl list | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    process.stderr.write(`koredumpctl: ${err.stack ?? err.message}\n`);
    process.exitCode = 1;
  },
);
