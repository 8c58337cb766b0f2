#!/usr/bin/env node
// Runs before `npm start` and `npm test` (pre-scripts): installs dependencies when they are missing
// or older than the lockfile, and makes sure the bun binary from npm really is a binary. Plain Node,
// because bun itself may be what is missing. Silent when there is nothing to do.
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const nodeModules = join(root, "node_modules");
const lockfile = join(root, "package-lock.json");
// npm rewrites this after every install: its age is the age of node_modules.
const installedLock = join(nodeModules, ".package-lock.json");
const bunDir = join(nodeModules, "bun");
// The npm package names it bun.exe on every platform; install.js swaps in the real binary.
const bunBinary = join(bunDir, "bin", "bun.exe");

function run(command, args) {
  console.error(`ensure-deps: ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", shell: process.platform === "win32" });
  if (result.status !== 0) {
    console.error(
      `ensure-deps: ${command} ${args.join(" ")} failed (${result.error?.message ?? `exit ${result.status}`})`,
    );
    process.exit(result.status || 1);
  }
}

function mtime(path) {
  return existsSync(path) ? statSync(path).mtimeMs : undefined;
}

function needsInstall() {
  if (!existsSync(nodeModules) || !existsSync(installedLock)) return true;
  const lock = mtime(lockfile);
  return lock !== undefined && lock > (mtime(installedLock) ?? 0);
}

/** npm may skip bun's postinstall (install-scripts policy), leaving a placeholder text file. */
function bunWorks() {
  if (!existsSync(bunBinary)) return false;
  const result = spawnSync(bunBinary, ["--version"], { encoding: "utf8" });
  return result.status === 0 && /^\d+\.\d+\.\d+/.test(result.stdout.trim());
}

if (needsInstall()) {
  run("npm", existsSync(lockfile) ? ["ci", "--no-audit", "--no-fund"] : ["install", "--no-audit", "--no-fund"]);
}

if (!bunWorks()) {
  if (!existsSync(join(bunDir, "install.js"))) {
    console.error("ensure-deps: node_modules/bun is missing: is bun a devDependency?");
    process.exit(1);
  }
  run(process.execPath, [join(bunDir, "install.js")]);
  if (!bunWorks()) {
    console.error(`ensure-deps: ${bunBinary} still does not run after node_modules/bun/install.js`);
    process.exit(1);
  }
}
