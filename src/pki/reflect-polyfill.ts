// Loads the Reflect metadata polyfill that @peculiar/x509 (through tsyringe) needs at import time.
// Import this module, not "reflect-metadata" directly, before "@peculiar/x509": inside a lazily
// imported chunk, Bun's bundler runs a module's ESM imports before its CommonJS ones, so a direct
// `import "reflect-metadata"` would run after x509 and the compiled binary would fail at start.
// As an ES module of our own, this import keeps its place in the order.
import "reflect-metadata";
