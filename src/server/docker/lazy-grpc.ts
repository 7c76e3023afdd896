import { createRequire, Module } from 'node:module';

/**
 * dockerode loads gRPC and a protobuf loader when it is loaded (about 16 MB
 * of RSS and a tenth of a second at start), for BuildKit sessions in
 * buildImage, which Capstan never calls. Until something uses them, the two
 * modules are stand-ins in Node's require cache (adding entries there is
 * documented) whose first property read loads the real module. Imported
 * before dockerode.
 */
const require = createRequire(import.meta.url);
const dockerodeRequire = createRequire(require.resolve('dockerode'));

for (const name of ['@grpc/grpc-js', '@grpc/proto-loader']) {
  let file: string;
  try {
    file = dockerodeRequire.resolve(name);
  } catch {
    continue; // not installed where dockerode looks: it would fail without us too
  }
  if (require.cache[file]) continue;
  let real: Record<string | symbol, unknown> | undefined;
  const load = () => {
    if (!real) {
      delete require.cache[file];
      real = dockerodeRequire(name) as Record<string | symbol, unknown>;
    }
    return real;
  };
  const standIn = new Module(file);
  standIn.filename = file;
  standIn.loaded = true;
  standIn.exports = new Proxy({}, {
    get: (_, key) => load()[key],
    has: (_, key) => key in load(),
    ownKeys: () => Reflect.ownKeys(load()),
    getOwnPropertyDescriptor: (_, key) => {
      const d = Object.getOwnPropertyDescriptor(load(), key);
      return d && { ...d, configurable: true };
    },
  });
  require.cache[file] = standIn;
}
