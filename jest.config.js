// jest on Node < 24.9 cannot require() ESM, so swc compiles our TypeScript and the ESM-only
// packages (NestJS 12, client-node 2) to CommonJS. See ../shared/reference/toolchain.md.
const { compilerOptions } = require('./tsconfig.json');

const esmOnly = [
  '@nestjs',
  '@kubernetes/client-node',
  'openid-client',
  'oauth4webapi',
  'jose',
  'socks-proxy-agent',
  'agent-base',
  'fs-xattr',
];
const swc = (parser) => [
  '@swc/jest',
  {
    jsc: {
      parser,
      target: 'es2023',
      transform: { legacyDecorator: true, decoratorMetadata: true },
    },
    module: { type: 'commonjs' },
  },
];
// The alias mapper is derived from tsconfig paths so the two cannot drift.
const moduleNameMapper = {
  ...Object.fromEntries(
    Object.entries(compilerOptions.paths).map(([alias, [target]]) => [
      `^${alias}$`,
      `<rootDir>/${target.replace(/^\.\//, '')}`,
    ]),
  ),
  '^(\\.{1,2}/.*)\\.js$': '$1',
};
const common = {
  testEnvironment: 'node',
  moduleNameMapper,
  transform: {
    '^.+\\.ts$': swc({ syntax: 'typescript', decorators: true }),
    '^.+\\.js$': swc({ syntax: 'ecmascript' }),
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/*/src/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
  ],
};
