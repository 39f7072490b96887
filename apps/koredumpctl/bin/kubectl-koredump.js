#!/usr/bin/env node
// The kubectl plugin (`kubectl koredump …`): the same launcher as koredumpctl.js; the CLI names
// itself after the file it was started as (process.argv[1]), so it answers as kubectl-koredump.
'use strict';
require('./koredumpctl.js');
